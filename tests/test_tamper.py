"""Tamper evidence against someone who can write the log file but not read its key: each
attack is found by `triage log verify` (cutting the tail and restoring an older copy with
`--against` a checkpoint), and verify never crashes on a damaged file. Also backups."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, RULES


def _fill(db: Path, n: int = 4) -> None:
    import triage

    case = json.loads((EXAMPLES / "statutory-parent.json").read_text())
    for i in range(n):
        triage.assess({**case, "reference": f"T-{i}"}, db=db, rules=RULES)


def _copy_of(db: Path, to: Path) -> None:
    """A consistent copy of the log, as it stands (its WAL included)."""
    with sqlite3.connect(db) as source, sqlite3.connect(to) as target:
        source.backup(target)
    source.close()
    target.close()


def _put_in_place(copy: Path, db: Path) -> None:
    """Replace the log file with ``copy``, as someone with the file would while nothing has it
    open: connections this process left to the garbage collector are closed first (the last
    close folds the WAL into the file), and no WAL of the replaced file is left beside the copy."""
    import gc

    gc.collect()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(copy, db)


def _attacker(db: Path) -> sqlite3.Connection:
    """A connection with the append-only triggers dropped (anyone with the file can do this)."""
    conn = sqlite3.connect(db, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        if "append_only" in name:
            conn.execute(f"DROP TRIGGER {name}")
    return conn


def _rechain(conn: sqlite3.Connection) -> None:
    """Recompute every hash of the chain, as an attacker who knows the format would."""
    from triage.log.store import GENESIS, _link

    prev = GENESIS
    for chain_seq, tbl, row_seq in conn.execute("SELECT chain_seq, tbl, row_seq FROM chain ORDER BY chain_seq").fetchall():
        cur = conn.execute(f"SELECT * FROM {tbl} WHERE seq = ?", [row_seq])
        row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
        link = _link(prev, tbl, row)
        conn.execute("UPDATE chain SET prev_hash = ?, hash = ? WHERE chain_seq = ?", [prev, link, chain_seq])
        prev = link


def _verify(run: Any, db: Path, *extra: str) -> tuple[int, list[str]]:
    r = run(f"--db={db}", "log", "verify", *extra, use_db=False)
    return r.code, [line for line in r.err.splitlines() if line]


def test_an_untouched_log_verifies(run: Any, db: Path) -> None:
    """A log written through triage verifies: chain and signatures intact."""
    _fill(db)
    r = run(f"--db={db}", "log", "verify", use_db=False)
    assert (r.code, r.out) == (0, f"OK: 4 records, hash chain and signatures intact ({db})\n")


def test_an_edited_decision_with_a_recomputed_chain_is_found(run: Any, db: Path) -> None:
    """Changing a decision and recomputing every hash leaves a wrong signature on that record."""
    _fill(db)
    conn = _attacker(db)
    conn.execute("UPDATE decisions SET disposition = 'refused' WHERE seq = 2")
    _rechain(conn)
    conn.close()
    assert _verify(run, db) == (1, [
        "TAMPERED: record 2 (decisions row 2) has a wrong signature: it was altered, added or renumbered without the key",
        "TAMPERED: record 3 (decisions row 3) has a wrong signature: it was altered, added or renumbered without the key",
        "TAMPERED: record 4 (decisions row 4) has a wrong signature: it was altered, added or renumbered without the key",
        "TAMPERED: decision_codes row 2 does not match decisions row 2 (the code tables were changed behind the "
        "log's back)",
    ])


def test_a_deleted_and_renumbered_record_is_found(run: Any, db: Path) -> None:
    """Deleting a record, renumbering the chain and recomputing it is found from that record on."""
    _fill(db)
    conn = _attacker(db)
    conn.execute("DELETE FROM decisions WHERE seq = 2")
    conn.execute("DELETE FROM decision_codes WHERE seq = 2")
    conn.execute("DELETE FROM chain WHERE chain_seq = 2")
    conn.execute("UPDATE chain SET chain_seq = chain_seq - 1 WHERE chain_seq > 2")
    _rechain(conn)
    conn.close()
    code, lines = _verify(run, db)
    assert code == 1
    assert lines[0] == ("TAMPERED: record 2 (decisions row 3) has a wrong signature: it was altered, added or "
                        "renumbered without the key")


def test_a_forged_record_with_a_correct_link_is_found(run: Any, db: Path) -> None:
    """A row appended with a correctly computed link, but no key, is not signed (or wrongly)."""
    from triage.log.store import _link

    _fill(db, 2)
    conn = _attacker(db)
    cur = conn.execute("SELECT * FROM decisions WHERE seq = 2")
    row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    row.update(seq=3, reference="FORGED-1")
    conn.execute(f"INSERT INTO decisions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    prev = conn.execute("SELECT hash FROM chain WHERE chain_seq = 2").fetchone()[0]
    for mac in (None, "00000000:" + "0" * 64):
        conn.execute("DELETE FROM chain WHERE chain_seq = 3")
        conn.execute("INSERT INTO chain (chain_seq, tbl, row_seq, prev_hash, hash, mac) VALUES (3, 'decisions', 3, ?, ?, ?)",
                      [prev, _link(prev, "decisions", row), mac])
        code, lines = _verify(run, db)
        assert code == 1
        assert lines[0] == ("TAMPERED: record 3 (decisions row 3) is not signed: it was added without the key"
                            if mac is None else
                            "TAMPERED: record 3 (decisions row 3) is signed with another key (00000000), not "
                            f"{os.environ['TRIAGE_LOG_KEY_FILE']}")
    conn.close()


def test_stripping_every_signature_is_found(run: Any, db: Path) -> None:
    """Removing all signatures (to pass the log off as one written before signing) is found."""
    _fill(db, 2)
    conn = _attacker(db)
    conn.execute("UPDATE chain SET mac = NULL")
    conn.close()
    assert _verify(run, db) == (1, [
        "TAMPERED: no record of the log is signed: anyone with the file could have rewritten it (a log written "
        "before signing; the next record written signs it and all before it)"])


def test_a_cut_tail_and_an_older_copy_are_found_against_a_checkpoint(run: Any, db: Path, tmp_path: Path) -> None:
    """Truncation passes a plain verify (no signature is wrong) but not --against a later checkpoint;
    nor does an older copy put back in the log's place, even with new records on top."""

    _fill(db, 2)
    _copy_of(db, tmp_path / "old.db")
    _fill_more = json.loads((EXAMPLES / "compliment.json").read_text())
    import triage
    triage.assess(_fill_more, db=db, rules=RULES)
    assert run(f"--db={db}", "log", "head", "--out", str(tmp_path / "cp.json"), use_db=False).code == 0
    checkpoint = json.loads((tmp_path / "cp.json").read_text())
    assert checkpoint["records"] == 3
    # cut the tail
    conn = _attacker(db)
    conn.execute("DELETE FROM decisions WHERE seq = 3")
    conn.execute("DELETE FROM decision_codes WHERE seq = 3")
    conn.execute("DELETE FROM chain WHERE chain_seq = 3")
    conn.close()
    assert _verify(run, db)[0] == 0  # what a checkpoint is for
    assert _verify(run, db, "--against", str(tmp_path / "cp.json")) == (1, [
        f"TAMPERED: the log holds 2 records, but the checkpoint of {checkpoint['at']} saw 3: records were cut off "
        "the end, or an older copy was put in its place"])
    # an older copy with a different record on top: as many records, another head
    _put_in_place(tmp_path / "old.db", db)
    triage.assess(json.loads((EXAMPLES / "case-concern.json").read_text()), db=db, rules=RULES)
    assert _verify(run, db, "--against", str(tmp_path / "cp.json")) == (1, [
        f"TAMPERED: record 3 is not the one the checkpoint of {checkpoint['at']} saw: the log was replaced by "
        "another copy, or rewritten"])


def test_an_altered_checkpoint_is_refused(run: Any, db: Path, tmp_path: Path) -> None:
    """A checkpoint whose count was lowered (to hide a truncation) fails its signature: exit 2."""
    _fill(db, 2)
    r = run(f"--db={db}", "log", "head", use_db=False)
    forged = {**json.loads(r.out), "records": 1}
    (tmp_path / "cp.json").write_text(json.dumps(forged))
    r = run(f"--db={db}", "log", "verify", "--against", str(tmp_path / "cp.json"), use_db=False)
    assert (r.code, r.err) == (2, f"error: --against: the signature of {tmp_path / 'cp.json'} is wrong: the "
                                  "checkpoint was altered\n")
    (tmp_path / "junk.json").write_text("not json")
    r = run(f"--db={db}", "log", "verify", "--against", str(tmp_path / "junk.json"), use_db=False)
    assert r.code == 2 and "is not a checkpoint" in r.err


@pytest.mark.parametrize("damage", ["table", "row_seq", "hash", "chain_seq"])
def test_verify_reports_a_corrupted_chain_row_without_crashing(run: Any, db: Path, damage: str) -> None:
    """A chain row naming no table, a text row number, a NULL hash or a gap is a finding, not a traceback."""
    _fill(db, 3)
    conn = _attacker(db)
    change = {"table": "tbl = 'decisions; DROP TABLE x'", "row_seq": "row_seq = 'x'", "hash": "hash = NULL",
              "chain_seq": "chain_seq = 99"}[damage]
    conn.execute(f"UPDATE chain SET {change} WHERE chain_seq = 2")
    conn.close()
    code, lines = _verify(run, db)
    assert code == 1
    assert lines and all(line.startswith("TAMPERED: ") for line in lines)


def test_verify_reports_a_damaged_file_without_crashing(run: Any, db: Path) -> None:
    """Overwriting pages in the middle of the file is reported as damage (exit 1), not a traceback."""
    _fill(db, 30)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(db.read_bytes())
    third = len(data) // 3
    data[third:2 * third] = b"\xff" * third
    db.write_bytes(bytes(data))
    r = run(f"--db={db}", "log", "verify", use_db=False)
    assert r.code == 1
    assert "Traceback" not in r.err
    assert r.err.startswith(("TAMPERED: ", "error: ")), r.err


def test_a_log_checked_with_another_key_names_it(run: Any, db: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Verifying with a key other than the one that signed says so for the first record."""
    _fill(db, 1)
    monkeypatch.setenv("TRIAGE_LOG_KEY", "ab" * 32)
    code, lines = _verify(run, db)
    assert code == 1
    assert lines[0].startswith("TAMPERED: record 1 (decisions row 1) is signed with another key (")


def test_a_key_file_others_can_read_is_refused(run: Any, db: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A key file with mode 644 is refused, with the chmod that fixes it; keygen writes mode 600."""
    key = tmp_path / "k" / "log.key"
    monkeypatch.setenv("TRIAGE_LOG_KEY_FILE", str(key))
    r = run("log", "keygen")
    assert r.code == 0 and r.out.startswith("log key ")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert run("log", "keygen").code == 2  # never overwritten
    key.chmod(0o644)
    r = run("assess", str(EXAMPLES / "statutory-parent.json"))
    assert (r.code, r.err) == (1, f"error: the log key {key} can be read by others (mode 644); run: chmod 600 {key}\n")


def test_a_log_made_before_signing_is_signed_from_its_next_record(db: Path) -> None:
    """An old log (no signature column) gains one; its next record signs it and all before it."""
    from triage.log.store import DecisionLog

    _fill(db, 2)
    conn = _attacker(db)
    conn.execute("CREATE TABLE chain2 AS SELECT chain_seq, tbl, row_seq, prev_hash, hash FROM chain")
    conn.execute("DROP TABLE chain")
    conn.execute("ALTER TABLE chain2 RENAME TO chain")
    conn.close()
    assert DecisionLog(db).verify()[-1].startswith("no record of the log is signed")
    _fill(db, 3)  # T-0 and T-1 again (idempotent, nothing added) and T-2
    assert DecisionLog(db).verify() == []


def test_a_backup_taken_while_writers_write_verifies_and_restores(run: Any, db: Path, tmp_path: Path) -> None:
    """`log backup` copies a log in use consistently and verifies it; the copy, put back, verifies
    against its checkpoint, and a checkpoint taken later finds it older."""
    import shutil

    import triage

    _fill(db, 3)
    case = json.loads((EXAMPLES / "statutory-parent.json").read_text())
    stop = threading.Event()

    def write() -> None:
        i = 0
        while not stop.is_set():
            triage.assess({**case, "reference": f"W-{i}"}, db=db, rules=RULES)
            i += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        r = run(f"--db={db}", "log", "backup", str(tmp_path / "b.db"), "--checkpoint", str(tmp_path / "b.json"),
                use_db=False)
    finally:
        stop.set()
        writer.join()
    assert r.code == 0, r.err
    assert r.out.startswith("backed up ") and "the copy verifies" in r.out
    assert run(f"--db={db}", "log", "head", "--out", str(tmp_path / "now.json"), use_db=False).code == 0
    # restore: put the copy in the log's place, check it against the backup's checkpoint
    restored = tmp_path / "restored.db"
    shutil.copy(tmp_path / "b.db", restored)
    assert _verify(run, restored, "--against", str(tmp_path / "b.json"))[0] == 0
    assert _verify(run, restored, "--against", str(tmp_path / "now.json"))[0] == 1
    assert run(f"--db={db}", "log", "backup", str(tmp_path / "b.db"), use_db=False).code == 2  # never overwrites


def test_writers_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    """Eight processes that each need the key of a new install all end up with the same one."""
    import subprocess
    import sys

    key = tmp_path / "k" / "log.key"
    code = "from triage.log import signing; print(signing.load_key(create=True).id)"
    env = {**os.environ, "TRIAGE_LOG_KEY_FILE": str(key)}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(8)]
    ids = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(ids) == 1 and all(p.returncode == 0 for p in procs)
    assert [p.name for p in key.parent.iterdir()] == ["log.key"]  # no temporary file left
