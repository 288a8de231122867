from django.db import migrations, models
import django.db.models.deletion


CREATE = """
CREATE TABLE monitoring_reading (
    point_id    bigint           NOT NULL,
    ts          timestamptz      NOT NULL,
    value       double precision NOT NULL,
    batch_id    bigint           NOT NULL,
    PRIMARY KEY (point_id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE monitoring_reading_default PARTITION OF monitoring_reading DEFAULT;
-- Batches are processed from the store: batch ids grow with insertion order, so BRIN is tiny and cheap.
CREATE INDEX monitoring_reading_batch_brin ON monitoring_reading USING brin (batch_id);
"""
DROP = "DROP TABLE IF EXISTS monitoring_reading CASCADE;"


class Migration(migrations.Migration):
    """Raw readings: partitioned by day on ts, unique on (point, ts), written with COPY.

    Partitions are created ahead and dropped after the retention window by
    ``monitoring.storage.maintain_partitions``; the DEFAULT partition only catches stragglers.
    """

    dependencies = [("monitoring", "0001_initial"), ("enterprises", "0003_registry_fields")]

    operations = [
        migrations.RunSQL(CREATE, DROP),
        migrations.CreateModel(
            name="IngestBatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("received_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("source", models.CharField(max_length=8)),
                ("accepted", models.PositiveIntegerField(default=0)),
                ("min_ts", models.DateTimeField(blank=True, null=True)),
                ("max_ts", models.DateTimeField(blank=True, null=True)),
                ("processed_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("gateway", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="batches", to="monitoring.gateway")),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.AddIndex(
            model_name="ingestbatch",
            index=models.Index(condition=models.Q(("processed_at__isnull", True)), fields=["id"],
                               name="ingestbatch_pending_idx"),
        ),
        migrations.CreateModel(
            name="PointState",
            fields=[
                ("point", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                               related_name="state", serialize=False,
                                               to="monitoring.monitoringpoint")),
                ("ts", models.DateTimeField(blank=True, null=True)),
                ("value", models.FloatField(blank=True, null=True)),
                ("received_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
    ]
