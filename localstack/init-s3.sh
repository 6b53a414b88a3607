#!/usr/bin/env bash
# LocalStack "ready" hook: create the S3 bucket that the event publisher writes
# to. docker-compose.yml mounts this file into /etc/localstack/init/ready.d/,
# and LocalStack runs it (with awslocal on PATH) once its services are up.
#
# Idempotent: on a restart the bucket may already exist, which is not an error.
set -euo pipefail

bucket="${EVENT_BUCKET_NAME:-customer-events}"

if awslocal s3api head-bucket --bucket "${bucket}" >/dev/null 2>&1; then
    echo "init-s3: bucket s3://${bucket} already exists"
else
    awslocal s3 mb "s3://${bucket}"
    echo "init-s3: created bucket s3://${bucket}"
fi
