"""``flask seed-demo``: realistic demo customers, created through the command bus like any client's,
so that every one has its event in the outbox and its entry in the read models."""

from __future__ import annotations

import random
import re
import unicodedata
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

from customer_api.customers.commands import CreateCustomer
from customer_api.customers.domain import DuplicateEmail
from customer_api.shared.events import Meta
from customer_api.shared.ids import new_id

if TYPE_CHECKING:
    from faker import Faker

SEED_META = Meta(actor_id=None, request_id="seed-demo")
# The locales people are drawn from, with their country's calling code: Faker's own phone numbers
# are in national formats, and the API takes E.164.
CALLING_CODES = {
    "en_US": "1",
    "en_GB": "44",
    "de_DE": "49",
    "fr_FR": "33",
    "es_ES": "34",
    "it_IT": "39",
    "nl_NL": "31",
    "sv_SE": "46",
    "pl_PL": "48",
    "pt_BR": "55",
    "ja_JP": "81",
    "en_IN": "91",
}
WITHOUT_PHONE = 0.2
WITHOUT_ADDRESS = 0.15


@click.command("seed-demo")
@click.option("--customers", "count", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--seed", type=int, default=None, help="The same seed makes the same people.")
@with_appcontext
def seed_demo(count: int, seed: int | None) -> None:
    """Create realistic demo customers through the command bus (events and caches stay right)."""
    from faker import Faker  # here: importing it would cost every web worker 0.15 s at boot

    fake = Faker(list(CALLING_CODES))
    fake.seed_instance(seed)
    people = DemoCustomers(fake, random.Random(seed))  # noqa: S311 - demo data, not secrets
    bus = current_app.extensions["customer_api"].bus
    created = 0
    with click.progressbar(range(count), label="Creating customers") as bar:
        for _ in bar:
            try:
                bus.handle(people.next(), SEED_META)
                created += 1
            except DuplicateEmail:
                pass  # seeded before with the same seed: that person is there already
    skipped = f"; {count - created} skipped, their email was taken" if created < count else ""
    click.echo(f"created {created} customers{skipped}")


class DemoCustomers:
    """People from a dozen countries, each email unique; some without a phone or an address."""

    def __init__(self, fake: Faker, rng: random.Random) -> None:
        self._fake = fake
        self._rng = rng
        self._emails: set[str] = set()

    def next(self) -> CreateCustomer:
        locale = self._rng.choice(list(CALLING_CODES))
        fake = self._fake[locale]
        phone = None
        if self._rng.random() >= WITHOUT_PHONE:
            phone = f"+{CALLING_CODES[locale]}{self._rng.randrange(10**9, 10**10)}"
        address = None
        if self._rng.random() >= WITHOUT_ADDRESS:
            address = {
                "line1": fake.street_address().replace("\n", ", "),
                "city": fake.city(),
                "region": fake.administrative_unit(),
                "postal_code": fake.postcode(),
                "country": locale.split("_")[1],
            }
        name = fake.name()
        return CreateCustomer(new_id(), name, self._email(name, fake.user_name()), phone, address)

    def _email(self, name: str, user_name: str) -> str:
        """first.last@ from the name's last two words in ASCII (a user name for a name in another
        script), at a domain reserved for examples; a number makes it unique."""
        words = re.findall(
            r"[a-z]+", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
        )
        local = ".".join(words[-2:]) if words else user_name
        domain = self._rng.choice(("example.com", "example.org", "example.net"))
        email, n = f"{local}@{domain}", 1
        while email in self._emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self._emails.add(email)
        return email
