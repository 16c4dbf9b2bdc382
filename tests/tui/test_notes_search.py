"""Finding notes by what a reader types, in both languages, and the corrected claims pinned."""

from __future__ import annotations

import re

import pytest

from nettop.tui.notebook import NoteBook, load_notes
from nettop.tui.notesearch import NoteIndex

# (what a user would type, the note that should come first): device and mechanism names, phrases,
# errno names, knob and counter names, Japanese terms
QUERIES = [
    ("bridge", "topic-virtual-devices"), ("vxlan", "topic-virtual-devices"), ("bond", "topic-virtual-devices"),
    ("macvlan", "topic-virtual-devices"), ("veth", "topic-virtual-devices"), ("codel", "topic-bufferbloat"),
    ("fq_codel", "topic-bufferbloat"), ("bql", "topic-bufferbloat"), ("tsq", "topic-bufferbloat"),
    ("ksoftirqd", "topic-napi-softnet"), ("napi", "topic-napi-softnet"), ("softnet", "topic-napi-softnet"),
    ("conntrack", "topic-conntrack"), ("nf_conntrack table full", "topic-conntrack"),
    ("rp_filter", "sysctl-net.ipv4.conf.rp_filter"), ("reverse path filter", "topic-rp-filter"),
    ("arp flux", "topic-arp-filter"), ("netlink", "topic-netlink"),
    ("syn flood", "topic-syn-flood-icmp"), ("memory pressure", "topic-tcp-memory-pressure"),
    ("accept queue overflow", "counter-TcpExt.ListenOverflows"), ("listen backlog", "topic-listen-backlog"),
    ("bufferbloat", "topic-bufferbloat"), ("time wait", "sysctl-net.ipv4.tcp_max_tw_buckets"),
    ("zero window", "counters-tcpext-zero-window"), ("retransmission", "counters-tcpext-recovery"),
    ("receive buffer full", "counter-TcpExt.PruneCalled"), ("too many orphaned sockets", "topic-tcp-memory-pressure"),
    ("syn cookies", "topic-syn-flood-icmp"), ("udp receive buffer errors", "counters-udp"),
    ("ECONNREFUSED", "topic-listen-backlog"), ("ETIMEDOUT", "topic-listen-backlog"),
    ("ECONNRESET", "topic-tcp-memory-pressure"), ("EADDRNOTAVAIL", "figures-tcp-state"),
    ("ENOBUFS", "counters-udp"), ("EHOSTUNREACH", "counters-icmp"),
    ("somaxconn", "sysctl-net.core.somaxconn"), ("tcp_mem", "sysctl-net.ipv4.tcp_mem"),
    ("ListenOverflows", "counter-TcpExt.ListenOverflows"), ("netdev_max_backlog", "sysctl-net.core.netdev_max_backlog"),
    ("輻輳", "topic-bufferbloat"), ("バックログ", "topic-listen-backlog"), ("受信キュー", "topic-tcp-memory-pressure"),
    ("メモリ圧迫", "topic-tcp-memory-pressure"), ("SYN フラッド", "topic-syn-flood-icmp"),
    ("ソフト割り込み", "topic-napi-softnet"), ("孤立ソケット", "sysctl-net.ipv4.tcp_max_orphans"),
    ("接続追跡", "topic-conntrack"), ("送信キュー", "pane-qdiscs"), ("逆経路フィルタ", "topic-rp-filter"),
    ("受信バッファ不足", "counter-TcpExt.PruneCalled"), ("順序外キュー", "counters-tcpext-receive"),
    ("drop reason", "topic-drop-reasons"), ("kfree_skb", "topic-drop-reasons"), ("NO_SOCKET", "drops-socket"),
    ("SOCKET_RCVBUFF", "drops-socket"), ("QDISC_DROP", "drops-queue"), ("破棄の理由", "topic-drop-reasons"),
    ("neighbour table full", "drops-neigh"),
]


@pytest.fixture(scope="module")
def index() -> NoteIndex:
    return NoteIndex()


def test_the_table_is_big_and_covers_both_languages() -> None:
    japanese = [q for q, _ in QUERIES if re.search(r"[\u3040-\u9fff]", q)]
    assert len(QUERIES) >= 40 and len(japanese) >= 10


@pytest.mark.parametrize(("query", "want"), QUERIES, ids=[q for q, _ in QUERIES])
def test_the_intended_note_comes_first(index: NoteIndex, query: str, want: str) -> None:
    hits = [h.note_id for h in index.search(query, 3)]
    assert hits and hits[0] == want, hits


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_explain_resolves_a_plain_query_to_the_same_note(lang: str) -> None:
    book = NoteBook(lang)
    wrong = {}
    for query, want in QUERIES:
        note = book.resolve(query)
        if note is None or note.id != want:
            wrong[query] = note.id if note else None
    assert not wrong, wrong


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_alias_finds_its_note_among_the_first_three(index: NoteIndex, lang: str) -> None:
    missed = [(note.id, alias) for note in load_notes(lang).values() for alias in note.aliases
              if note.id not in [h.note_id for h in index.search(alias, 3)]]
    assert not missed, missed


@pytest.mark.parametrize("query", ["frobnicate", "qwertyuiop", "銀河鉄道"])
def test_a_query_sharing_no_word_with_any_note_suggests_nothing(index: NoteIndex, query: str) -> None:
    assert index.search(query) == [] and NoteBook("en").suggest(query) == []


# The claims issue 15 corrected, with the version text each must keep.
PINNED = [
    ("topic-listen-backlog", "en", ["6.5", "tcp_syn_linear_timeouts", "1, 2, 3, 4, 5, 7, 11"]),
    ("counter-TcpExt.ListenOverflows", "en", ["6.5", "tcp_syn_linear_timeouts", "tcp_abort_on_overflow"]),
    ("counters-tcpext-handshake", "en", ["6.5", "tcp_syn_linear_timeouts", "1, 2, 3,"]),
    ("topic-bufferbloat", "en", ["6.16", "tcp_limit_output_bytes"]),
    ("sysctl-net.ipv4.tcp_limit_output_bytes", "en", ["6.16", "4 MiB"]),
    ("sysctl-net.ipv4.tcp_rmem", "en", ["6.16", "32 MiB"]),
    ("topic-listen-backlog", "en", ["6.13", "3479c7549fb1"]),
    ("sysctl-net.ipv4.udp_mem", "en", ["5.16"]),
    ("topic-listen-backlog", "en", ["bpf_tcp_gen_syncookie"]),
    ("topic-listen-backlog", "ja", ["6.5", "tcp_syn_linear_timeouts", "6.13", "bpf_tcp_gen_syncookie"]),
    ("counter-TcpExt.ListenOverflows", "ja", ["6.5", "tcp_syn_linear_timeouts", "tcp_abort_on_overflow"]),
    ("topic-bufferbloat", "ja", ["6.16", "tcp_limit_output_bytes"]),
]


@pytest.mark.parametrize(("note_id", "lang", "texts"), PINNED, ids=[f"{n}-{lang}" for n, lang, _ in PINNED])
def test_corrected_claims_keep_their_version(note_id: str, lang: str, texts: list[str]) -> None:
    note = load_notes(lang)[note_id]
    body = f"{note.summary}\n{note.body}".replace("\n", " ")
    assert [t for t in texts if t not in body] == []


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_wrong_claims_stay_out(lang: str) -> None:
    notes = load_notes(lang)
    overflow = notes["counter-TcpExt.ListenOverflows"]
    summary = overflow.summary.lower()
    assert "are refused" not in summary and ("nothing is refused" in summary or "拒否されるわけではなく" in summary)
    backlog = notes["topic-listen-backlog"].body.replace("\n", " ")
    assert "is always ≥ `ListenOverflows`" not in backlog and "常に `ListenOverflows` 以上" not in backlog
    softnet = notes["topic-napi-softnet"].body + notes["figures-softnet"].body
    assert not re.search(r"column 15\b|15 列目", softnet)  # columns are numbered 0-14 in both
