"""Integrations' HMAC signing keys encrypted at rest with the personal-data key ring (ADR 0004);
existing rows are encrypted in place."""

from django.db import migrations

import gridcare.identity.fields
from gridcare.identity.pii import EncryptedColumn, decrypt_column_to_plaintext, encrypt_plaintext_column

SIGNING_KEY = EncryptedColumn(
    table="identity_integration", column="signing_key", hash_column="signing_key_hash", kind="signing_key"
)


def encrypt_existing_rows(apps, schema_editor):
    encrypt_plaintext_column(connection=schema_editor.connection, column=SIGNING_KEY)


def decrypt_existing_rows(apps, schema_editor):
    decrypt_column_to_plaintext(connection=schema_editor.connection, column=SIGNING_KEY)


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0006_access_approval_requests"),
    ]

    operations = [
        migrations.AddField(
            model_name="integration",
            name="signing_key_hash",
            field=gridcare.identity.fields.PiiHashField(
                blank=True, default="", kind="signing_key", source="signing_key", verbose_name="signing key hash"
            ),
        ),
        migrations.AlterField(
            model_name="integration",
            name="signing_key",
            field=gridcare.identity.fields.EncryptedTextField(max_length=128, verbose_name="signing key"),
        ),
        migrations.RunPython(encrypt_existing_rows, decrypt_existing_rows),
    ]
