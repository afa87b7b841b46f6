"""Personal data encrypted at rest (issue 3 item 5, ADR 0004): 身份证号, mobiles and landlines
become AES-GCM ciphertext with keyed hash columns (uniqueness moves to the hash), and accounts
gain a direct-debit bank account. Existing rows are encrypted in place, in batches."""

import gridcare.customers.validators
import gridcare.identity.fields
from django.db import migrations, models

from gridcare.identity.pii import EncryptedColumn, decrypt_column_to_plaintext, encrypt_plaintext_column

#: The columns holding plaintext before this migration.
COLUMNS = (
    EncryptedColumn(table="customers_customer", column="id_number", hash_column="id_number_hash", kind="id_number"),
    EncryptedColumn(table="customers_contact", column="mobile", hash_column="mobile_hash", kind="mobile"),
    EncryptedColumn(table="customers_contact", column="landline", hash_column="landline_hash", kind="landline"),
)


def encrypt_existing_rows(apps, schema_editor):
    for column in COLUMNS:
        encrypt_plaintext_column(connection=schema_editor.connection, column=column)


def decrypt_existing_rows(apps, schema_editor):
    for column in COLUMNS:
        decrypt_column_to_plaintext(connection=schema_editor.connection, column=column)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0002_initial'),
        ('organization', '0002_number_sequence'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='customer',
            name='customer_unique_id_number',
        ),
        migrations.RemoveIndex(
            model_name='contact',
            name='customers_c_mobile_47c644_idx',
        ),
        migrations.AddField(
            model_name='account',
            name='bank_account_no',
            field=gridcare.identity.fields.EncryptedTextField(blank=True, default='', max_length=34, verbose_name='bank account number'),
        ),
        migrations.AddField(
            model_name='account',
            name='bank_account_no_hash',
            field=gridcare.identity.fields.PiiHashField(blank=True, db_index=True, default='', kind='bank_account_no', source='bank_account_no', verbose_name='bank account number hash'),
        ),
        migrations.AddField(
            model_name='account',
            name='bank_name',
            field=models.CharField(blank=True, default='', max_length=100, verbose_name='bank name'),
        ),
        migrations.AddField(
            model_name='contact',
            name='landline_hash',
            field=gridcare.identity.fields.PiiHashField(blank=True, db_index=True, default='', kind='landline', source='landline', verbose_name='landline hash'),
        ),
        migrations.AddField(
            model_name='contact',
            name='mobile_hash',
            field=gridcare.identity.fields.PiiHashField(blank=True, db_index=True, default='', kind='mobile', source='mobile', verbose_name='mobile hash'),
        ),
        migrations.AddField(
            model_name='customer',
            name='id_number_hash',
            field=gridcare.identity.fields.PiiHashField(kind='id_number', null=True, source='id_number', verbose_name='resident ID number hash'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='landline',
            field=gridcare.identity.fields.EncryptedTextField(blank=True, max_length=20, verbose_name='landline'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='mobile',
            field=gridcare.identity.fields.EncryptedTextField(blank=True, max_length=11, validators=[gridcare.customers.validators.validate_mobile_field], verbose_name='mobile'),
        ),
        migrations.AlterField(
            model_name='customer',
            name='id_number',
            field=gridcare.identity.fields.EncryptedTextField(blank=True, max_length=18, null=True, validators=[gridcare.customers.validators.validate_id_number_field], verbose_name='resident ID number'),
        ),
        migrations.RunPython(encrypt_existing_rows, decrypt_existing_rows),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('id_number_hash__isnull', False)), fields=('id_number_hash',), name='customer_unique_id_number_hash', violation_error_message='A customer with this resident ID number already exists.'),
        ),
    ]
