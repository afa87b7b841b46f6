"""Users' mobiles encrypted at rest with a keyed hash column (issue 3 item 5, ADR 0004);
existing rows are encrypted in place, in batches."""

import gridcare.identity.fields
from django.db import migrations

from gridcare.identity.pii import EncryptedColumn, decrypt_column_to_plaintext, encrypt_plaintext_column

MOBILE = EncryptedColumn(table="identity_user", column="mobile", hash_column="mobile_hash", kind="mobile")


def encrypt_existing_rows(apps, schema_editor):
    encrypt_plaintext_column(connection=schema_editor.connection, column=MOBILE)


def decrypt_existing_rows(apps, schema_editor):
    decrypt_column_to_plaintext(connection=schema_editor.connection, column=MOBILE)


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0004_integrations_api_tokens'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='mobile_hash',
            field=gridcare.identity.fields.PiiHashField(blank=True, db_index=True, default='', kind='mobile', source='mobile', verbose_name='mobile hash'),
        ),
        migrations.AlterField(
            model_name='user',
            name='mobile',
            field=gridcare.identity.fields.EncryptedTextField(blank=True, max_length=20, verbose_name='mobile'),
        ),
        migrations.RunPython(encrypt_existing_rows, decrypt_existing_rows),
    ]
