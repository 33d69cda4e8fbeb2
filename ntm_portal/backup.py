"""Backup and restore of the whole portal as one zip archive (README, "Backup and restore").

The archive holds:

- ``data/<app>.<model>.json``: every row of every model, in Django's serialisation format,
  with the rows' own primary keys (dossier addresses and evidence paths stay valid). Rows that
  point at content types or permissions name them by natural key, since a fresh database numbers
  those differently. Left out: content types and permissions (``migrate`` makes them) and
  sessions (a restore logs everyone out).
- ``files/<name>``: every stored evidence file, under its storage name.
- ``manifest.json``: the format version, the applied migrations, the row count of every model
  and the size and SHA-256 of every other entry.

A restore goes only into an empty database migrated to the same migrations; it checks every
entry against the manifest before writing anything, loads all rows in one transaction and
removes the files it wrote if anything fails.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from reports.cache import record_change

FORMAT = "ntm-portal-backup"
VERSION = 1
MANIFEST = "manifest.json"
# Rebuilt by `migrate` (content types, permissions) or deliberately not kept (sessions).
# The report change log (reports.cache) describes this database's own writes, not data.
SKIPPED = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "reports.reportchange",
}


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds (as ECMA-262 does); the audit trail keeps
    microseconds, and the history pages pair rows by their exact time."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    files: int = 0

    def lines(self) -> list[str]:
        rows = sum(self.counts.values())
        return [f"{label}: {n}" for label, n in self.counts.items() if n] + [
            f"{rows} rows, {self.files} evidence files"
        ]


def backed_up_models() -> list:
    """Every concrete model whose rows the archive keeps, parents before the rows that point at
    them (the order the restore loads them in)."""
    chosen = [
        model
        for model in apps.get_models()
        if model._meta.label_lower not in SKIPPED and model._meta.managed and not model._meta.proxy
    ]
    return serializers.sort_dependencies(
        [(apps.get_app_config(m._meta.app_label), [m]) for m in chosen], allow_cycles=True
    )


def _needs_natural_keys(model) -> bool:
    related = {ContentType, Permission}
    return any(
        f.is_relation and f.related_model in related
        for f in model._meta.get_fields()
        if f.concrete or f.many_to_many
    )


def _entry_name(model) -> str:
    return f"data/{model._meta.label_lower}.json"


def _applied_migrations(connection) -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def _evidence_files(using: str) -> list[str]:
    """Storage names of the evidence files: those of current rows, and those that history rows
    name and that are still stored."""
    Evidence = apps.get_model("criteria", "Evidence")
    names = set(Evidence.objects.using(using).exclude(file="").values_list("file", flat=True))
    historical = getattr(Evidence, "history", None)
    if historical is not None:
        past = set(historical.model.objects.using(using).values_list("file", flat=True)) - names
        names |= {name for name in past if name and default_storage.exists(name)}
    return sorted(names)


def backup_portal(path: Path | str, *, using: str = DEFAULT_DB_ALIAS) -> Summary:
    """Write the archive to ``path`` (which must not exist).

    Side effects: creates one file. Reads everything in one transaction, on PostgreSQL with
    REPEATABLE READ, so the rows are one consistent snapshot even while officials keep working
    (SQLite's IMMEDIATE transactions hold writers off until the backup is done).
    """
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists: choose a new file name.")
    summary = Summary()
    entries: dict[str, dict] = {}
    outermost = not connections[using].in_atomic_block
    partial = path.with_name(path.name + ".partial")
    try:
        with (
            zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            transaction.atomic(using=using),
        ):
            _snapshot(connections[using], outermost)
            for model in backed_up_models():
                rows = model._default_manager.using(using).order_by("pk")
                data = serializers.serialize(
                    "json",
                    rows.iterator(chunk_size=2000),
                    use_natural_foreign_keys=_needs_natural_keys(model),
                    cls=ExactJSONEncoder,
                    indent=1,
                ).encode()
                summary.counts[model._meta.label_lower] = rows.count()
                entries[_entry_name(model)] = _write(archive, _entry_name(model), data)
            for name in _evidence_files(using):
                with default_storage.open(name, "rb") as handle:
                    content = handle.read()
                entries[f"files/{name}"] = _write(archive, f"files/{name}", content)
                summary.files += 1
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "migrations": _applied_migrations(connections[using]),
                "counts": summary.counts,
                "entries": entries,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return summary


def _snapshot(connection, outermost: bool) -> None:
    # Only the first statement of a transaction may set its isolation level; inside an outer
    # transaction (a test) the caller's snapshot is the one that counts.
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> dict:
    archive.writestr(name, data)
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


# --- Restore -------------------------------------------------------------------------------


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError) as exc:
        raise BackupError("Not a portal backup: manifest.json is missing or unreadable.") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(
            f"Not a portal backup of version {VERSION} "
            f"(format {manifest.get('format')!r}, version {manifest.get('version')!r})."
        )
    return manifest


def _verified_entries(archive: zipfile.ZipFile, manifest: dict) -> dict[str, bytes]:
    """Every entry's bytes, after checking each against the manifest; nothing is written."""
    listed = manifest["entries"]
    present = set(archive.namelist()) - {MANIFEST}
    if present != set(listed):
        extra, missing = sorted(present - set(listed)), sorted(set(listed) - present)
        raise BackupError(
            f"The archive does not match its manifest (not listed: {extra[:5]}, "
            f"missing: {missing[:5]})."
        )
    contents = {}
    for name, expected in listed.items():
        normalised = posixpath.normpath(name)
        if normalised != name or name.startswith("/") or ".." in name.split("/"):
            raise BackupError(f"Unsafe path in the archive: {name!r}.")
        data = archive.read(name)
        if len(data) != expected["size"] or hashlib.sha256(data).hexdigest() != expected["sha256"]:
            raise BackupError(f"{name} is damaged or was changed: its SHA-256 does not match.")
        contents[name] = data
    return contents


def _existing_rows(using: str) -> dict[str, int]:
    found = {}
    for model in backed_up_models():
        if model._default_manager.using(using).exists():
            found[model._meta.label_lower] = model._default_manager.using(using).count()
    return found


def restore_portal(path: Path | str, *, using: str = DEFAULT_DB_ALIAS) -> Summary:
    """Load the archive at ``path`` into an empty database.

    Side effects: creates every archived row (with its primary key) in one transaction, resets
    the primary-key sequences, and stores every archived file under its own name. Raises
    BackupError, having written nothing, when the archive is damaged or not a backup, when the
    database is not empty or not migrated like the archive's, or when a file already exists.
    """
    connection = connections[using]
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"Cannot read {path}: {exc}") from exc
    with archive:
        manifest = _read_manifest(archive)
        contents = _verified_entries(archive, manifest)

    here = _applied_migrations(connection)
    if here != manifest["migrations"]:
        theirs = {tuple(m) for m in manifest["migrations"]}
        ours = {tuple(m) for m in here}
        raise BackupError(
            "The database is not migrated like the backup's: "
            f"{len(theirs - ours)} of the archive's migrations are not applied here and "
            f"{len(ours - theirs)} applied here are not in the archive. Restore with the code "
            "version the backup was made with, then migrate."
        )
    existing = _existing_rows(using)
    if existing:
        listed = ", ".join(f"{label} ({n})" for label, n in list(existing.items())[:5])
        raise BackupError(
            "The database already holds data, e.g. "
            f"{listed}. Restore only into an empty database (a fresh `manage.py migrate`)."
        )
    files = {
        name.removeprefix("files/"): data
        for name, data in contents.items()
        if name.startswith("files/")
    }
    # A file already stored with the same bytes (the database was lost, the media kept) is
    # kept as it is; a different file under an archived name is never overwritten.
    present = {name for name in files if default_storage.exists(name)}
    clashes = [name for name in sorted(present) if _stored_bytes(name) != files[name]]
    if clashes:
        raise BackupError(
            f"Other files already exist in the storage under the archive's names, e.g. "
            f"{clashes[0]}: not overwritten."
        )
    files = {name: data for name, data in files.items() if name not in present}

    by_label = {m._meta.label_lower: m for m in backed_up_models()}
    unknown = set(manifest["counts"]) - set(by_label)
    if unknown:
        raise BackupError(f"The archive holds tables this code does not have: {sorted(unknown)}.")

    summary = Summary()
    written: list[str] = []
    try:
        with transaction.atomic(using=using):
            with connection.constraint_checks_disabled():
                loaded = _load_rows(contents, manifest, by_label, using, summary)
            connection.check_constraints(table_names=[m._meta.db_table for m in loaded])
            _reset_sequences(connection, loaded)
            # Rows saved raw send no signal: every province's cached reports are stale.
            record_change(province_id=None, using=using)
            for name, data in files.items():
                stored = default_storage.save(name, ContentFile(data))
                written.append(stored)
                if stored != name:
                    raise BackupError(f"The storage renamed {name} to {stored}.")
            summary.files = len(written) + len(present)
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return summary


def _stored_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _load_rows(contents, manifest, by_label, using, summary) -> list:
    loaded, deferred = [], []
    for label, expected in manifest["counts"].items():
        model = by_label[label]
        data = contents[_entry_name(model)].decode()
        n = 0
        for obj in serializers.deserialize(
            "json", io.StringIO(data), using=using, handle_forward_references=True
        ):
            obj.save(using=using)
            if obj.deferred_fields:
                deferred.append(obj)
            n += 1
        if n != expected:
            raise BackupError(f"{label}: {n} rows in the archive, the manifest says {expected}.")
        summary.counts[label] = n
        loaded.append(model)
    for obj in deferred:
        obj.save_deferred_fields(using=using)
    return loaded


def _reset_sequences(connection, models) -> None:
    # Rows keep their primary keys; PostgreSQL's sequences must then move past them, or the
    # next dossier created would collide with a restored one.
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
