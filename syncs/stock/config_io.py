"""All stock configuration as one JSON file, so a brand can keep its rules in version control.

``config_export()`` writes statuses, safety stock rules, allocations, the warehouse map and
the engine settings, each sorted by its identity so two exports of the same configuration
are byte-identical and diff well. ``config_import()`` validates the whole file first (shape,
every field through the models' own validation, duplicates, references) and changes nothing
if anything is wrong; otherwise it makes the database match the file in one transaction,
auditing each created, updated and deleted row with ``via="import"``.
"""

import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction

from syncs.models import ConfigChange, StockSettings
from syncs.stock import rules
from syncs.stock.config import (
    AREAS,
    IN_QC_CODE,
    config_audit,
    object_key,
    statuses_with_history,
    stock_settings_save,
)

VERSION = 1
# file section -> area in ``config.AREAS``
SECTIONS = {
    "stock_statuses": "status",
    "safety_stock": "safety_stock",
    "allocations": "allocation",
    "warehouse_map": "warehouse_map",
}


class ConfigImportError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:10]))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    settings_changed: bool = False
    changes: list[str] = field(default_factory=list)


def config_export() -> dict:
    out: dict = {"version": VERSION}
    for section, area in SECTIONS.items():
        model, to_data, keys = AREAS[area]
        rows = [to_data(row) for row in model.objects.all()]
        out[section] = sorted(rows, key=lambda d: tuple(str(d[k]) for k in keys))
    out["settings"] = rules.settings_data(StockSettings.load())
    return out


def config_export_text() -> str:
    return json.dumps(config_export(), indent=2, sort_keys=True) + "\n"


def _validate(data) -> tuple[dict[str, dict[str, tuple[dict, object]]], StockSettings | None]:
    """Every row checked and turned into an unsaved instance; raise with all errors found."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ConfigImportError(["the file must be a JSON object"])
    if type(data.get("version")) is not int or data["version"] != VERSION:  # not True
        errors.append(f"version must be {VERSION}, not {data.get('version')!r}")
    unknown = set(data) - {"version", "settings", *SECTIONS}
    if unknown:
        errors.append(f"unknown sections: {', '.join(sorted(unknown))}")
    wanted: dict[str, dict[str, tuple[dict, object]]] = {}
    for section, area in SECTIONS.items():
        model, to_data, keys = AREAS[area]
        rows = data.get(section, [])
        wanted[area] = {}
        if not isinstance(rows, list):
            errors.append(f"{section} must be a list")
            continue
        names = {f.name for f in model._meta.concrete_fields} - {"id"}
        for index, row in enumerate(rows):
            where = f"{section}[{index}]"
            if not isinstance(row, dict):
                errors.append(f"{where} must be an object")
                continue
            extra = set(row) - names
            missing = [k for k in keys if k not in row]
            if extra:
                errors.append(f"{where}: unknown fields {', '.join(sorted(extra))}")
            if missing:
                errors.append(f"{where}: missing {', '.join(missing)}")
            if extra or missing:
                continue
            kind_errors = _value_type_errors(model, row, where)
            if kind_errors:
                errors += kind_errors
                continue
            instance = model(**row)
            try:
                instance.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    errors.append(f"{where}.{name}: {' '.join(messages)}")
                continue
            errors += _rule_errors(area, instance, where)
            identity = object_key(area, to_data(instance))
            if identity in wanted[area]:
                errors.append(f"{where}: a second row for {identity}")
            wanted[area][identity] = (to_data(instance), instance)
    kept = statuses_with_history() | {IN_QC_CODE}
    for code in sorted(kept - set(wanted["status"])):
        errors.append(f"stock_statuses: {code} has ledger history and cannot be removed")
    settings = None
    if "settings" in data:
        settings, settings_errors = _settings(data["settings"])
        errors += settings_errors
    if errors:
        raise ConfigImportError(errors)
    return wanted, settings


def _value_type_errors(model, row: dict, where: str) -> list[str]:
    """JSON types the models' validation would let through: null for a field that cannot be
    null (an IntegrityError at save), true for a number (``True == 1``), 3.7 for a whole
    number (silently truncated)."""
    errors = []
    for name, value in row.items():
        field = model._meta.get_field(name)
        if value is None and not field.null:
            errors.append(f"{where}.{name}: must not be null")
        elif isinstance(field, models.IntegerField) and value is not None:
            if type(value) is not int:
                errors.append(f"{where}.{name}: must be a whole number")
        elif isinstance(field, models.BooleanField) and not isinstance(value, bool):
            errors.append(f"{where}.{name}: must be true or false")
    return errors


def _rule_errors(area: str, instance, where: str) -> list[str]:
    if area not in ("safety_stock", "allocation"):
        return []
    if (instance.scope == "global") != (instance.key == ""):
        return [f"{where}: the global scope has no key; every other scope needs one"]
    return []


def _settings(values) -> tuple[StockSettings | None, list[str]]:
    if not isinstance(values, dict):
        return None, ["settings must be an object"]
    extra = set(values) - set(rules.SETTINGS_FIELDS)
    if extra:
        return None, [f"settings: unknown fields {', '.join(sorted(extra))}"]
    instance = StockSettings.load()
    for name, value in values.items():
        setattr(instance, name, value)
    try:
        instance.full_clean()
    except ValidationError as error:
        return None, [f"settings.{n}: {' '.join(m)}" for n, m in error.message_dict.items()]
    return instance, []


def config_import(*, data, actor) -> ImportResult:
    """Make the configuration match ``data``; a file with any error changes nothing."""
    wanted, settings = _validate(data)
    result = ImportResult()
    with transaction.atomic():
        # statuses first (rules may not depend on them, but deletes of statuses must come
        # after nothing else needs them), then rules and the map.
        for area in ("status", "safety_stock", "allocation", "warehouse_map"):
            model, to_data, _keys = AREAS[area]
            existing = {object_key(area, to_data(row)): row for row in model.objects.all()}
            for identity, row in existing.items():
                if identity not in wanted[area]:
                    before = to_data(row)
                    row.delete()
                    _audit(actor, area, identity, ConfigChange.Action.DELETED, before, None)
                    result.deleted += 1
                    result.changes.append(f"deleted {area} {identity}")
            for identity, (after, instance) in wanted[area].items():
                row = existing.get(identity)
                if row is None:
                    instance.save()
                    _audit(actor, area, identity, ConfigChange.Action.CREATED, None, after)
                    result.created += 1
                    result.changes.append(f"created {area} {identity}")
                    continue
                before = to_data(row)
                if before != after:
                    instance.pk = row.pk
                    instance.save()
                    _audit(actor, area, identity, ConfigChange.Action.UPDATED, before, after)
                    result.updated += 1
                    result.changes.append(f"updated {area} {identity}")
        if settings is not None:
            before = rules.settings_data(StockSettings.load())
            stock_settings_save(instance=settings, actor=actor, via="import")
            result.settings_changed = before != rules.settings_data(settings)
    return result


def config_import_text(*, text: str, actor) -> ImportResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigImportError([f"not JSON: {error}"]) from None
    except RecursionError:
        raise ConfigImportError(["not a configuration file: nested too deeply"]) from None
    return config_import(data=data, actor=actor)


def _audit(actor, area, identity, action, before, after):
    config_audit(
        actor=actor,
        area=area,
        object_key=identity,
        action=action,
        before=before,
        after=after,
        via="import",
    )
