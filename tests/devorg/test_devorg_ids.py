"""Salesforce id generation and the 18-character checksum."""

from __future__ import annotations

import pytest

from devorg import ids


def test_to18_matches_salesforce_published_example() -> None:
    """The checksum suffix encodes upper-case positions per 5-character chunk."""
    assert ids.to18("0015000000Gv7qJ") == "0015000000Gv7qJAAR"


def test_to15_and_same_id_treat_both_forms_as_equal() -> None:
    assert ids.to15("0015000000Gv7qJAAR") == "0015000000Gv7qJ"
    assert ids.same_id("0015000000Gv7qJ", "0015000000Gv7qJAAR")
    assert not ids.same_id("0015000000Gv7qJ", "0015000000Gv7qj")


def test_is_salesforce_id_rejects_bad_checksum_and_length() -> None:
    assert ids.is_salesforce_id("0015000000Gv7qJAAR")
    assert not ids.is_salesforce_id("0015000000Gv7qJAAA")
    assert not ids.is_salesforce_id("0015000000Gv7q")
    with pytest.raises(ValueError):
        ids.to18("not an id")


def test_generator_mints_prefixed_unique_increasing_ids() -> None:
    generator = ids.IdGenerator()
    minted = [generator.new_id(prefix) for prefix in ("00D", "005", "003", "0LQ")]
    assert [m[:3] for m in minted] == ["00D", "005", "003", "0LQ"]
    assert all(len(m) == 18 and ids.is_salesforce_id(m) for m in minted)
    assert minted == sorted(minted, key=lambda m: m[5:15])
    assert len(set(minted)) == 4
