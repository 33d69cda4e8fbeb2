"""The S3-compatible file storage's configuration (settings; README, "Deployment", "File storage
(S3-compatible)"). A function, so that the tests configure the bucket of their local S3 server
exactly as settings.py configures the real one."""

from __future__ import annotations


def s3_storage(
    *,
    bucket_name: str,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region_name: str | None = None,
    addressing_style: str | None = None,
    connect_timeout: float = 3.0,
    read_timeout: float = 30.0,
) -> dict:
    """STORAGES["default"] for django-storages' S3Storage: private objects, the permission-
    checked views as the only way to read them."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket_name,
            # None: AWS itself. Any other S3-compatible server: its URL (http://host:9000).
            "endpoint_url": endpoint_url or None,
            # None: boto3's own chain (its environment variables, ~/.aws, an instance role).
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "region_name": region_name or None,
            # No ACL on the objects: they take the bucket's, which must not be public. Nothing
            # links to a bucket URL; url() would only ever give a signed one, valid 5 minutes.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            # A name already taken gets a suffix, as on the local disk; never overwritten.
            "file_overwrite": False,
            # A file read for a download larger than this spools to a temporary file.
            "max_memory_size": 2 * 1024 * 1024,
            "client_config": Config(
                # Path-style addresses (http://host/bucket/key) when an endpoint is given: what
                # MinIO and most servers other than AWS expect.
                s3={"addressing_style": addressing_style or ("path" if endpoint_url else "auto")},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"mode": "standard", "max_attempts": 3},
            ),
        },
    }
