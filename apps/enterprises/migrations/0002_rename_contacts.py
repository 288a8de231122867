from django.db import migrations


class Migration(migrations.Migration):
    """The safety contact of the foundation release is the enterprise's safety manager (安全负责人)."""

    dependencies = [("enterprises", "0001_initial")]

    operations = [
        migrations.RenameField("enterprise", "safety_contact", "safety_manager"),
        migrations.RenameField("enterprise", "contact_phone", "safety_manager_phone"),
    ]
