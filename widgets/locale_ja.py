"""The UI in Japanese: every English text the UI shows, and its Japanese. The placeholders
(`{name}`) must stay the same; a test checks that every text passed to `tr` is here."""

from __future__ import annotations

JA: dict[str, str] = {
    # pane titles (tui/panes.py)
    "Overview: wire -> socket": "概要：回線 → ソケット",
    "Protocol memory": "プロトコルのメモリ",
    "Counters": "カウンタ",
    "Qdiscs and classes": "qdisc とクラス",
    "Interfaces": "インタフェース",
    "Softnet / NAPI per CPU": "CPU ごとの softnet / NAPI",
    "Sockets": "ソケット",
    "Sysctls": "sysctl",
    # column headers
    "stage": "段階", "state": "状態", "what moves (rate, total)": "動いているもの（レート、累計）",
    "finding": "検出", "what (last 10 s)": "内容（直近 10 秒）", "moved since mark": "マーク以降に増えたもの",
    "delta": "増分", "rate/s": "毎秒", "counter": "カウンタ", "value": "値", "Δ mark": "Δ マーク",
    "peak/s": "最大/秒", "proto": "プロトコル", "pages": "ページ", "of high": "high に対して", "low": "low",
    "pressure": "pressure", "high": "high", "press": "圧迫", "peak": "最大", "pressure counter": "圧迫のカウンタ",
    "device / object": "デバイス / オブジェクト", "kind": "種類", "backlog B": "滞留 B", "peak B": "最大 B",
    "qlen": "qlen", "drops/s": "破棄/秒", "overlim/s": "超過/秒", "requeue/s": "再キュー/秒", "bytes/s": "バイト/秒",
    "link": "リンク", "rx bit/s": "受信 bit/s", "tx bit/s": "送信 bit/s", "rx pkt/s": "受信 pkt/s",
    "tx pkt/s": "送信 pkt/s", "errors": "エラー", "drops": "破棄", "missed": "取りこぼし", "relation": "関係",
    "cpu": "CPU", "processed/s": "処理/秒", "dropped/s": "破棄/秒", "squeeze/s": "squeeze/秒", "dropped": "破棄",
    "time_squeeze": "time_squeeze", "backlog peak": "最大滞留", "listener": "リスナー", "queue": "キュー",
    "backlog": "バックログ", "fill (peak)": "充填（最大）", "sysctl": "sysctl", "what it does": "働き",
    # keys: footer descriptions and help
    "keys": "キー", "quit": "終了", "filter": "絞り込み", "pause": "一時停止", "mark": "マーク",
    "snapshot": "スナップショット", "note": "ノート", "about": "説明", "faster": "速く", "slower": "遅く",
    "next table": "次の表", "record": "記録", "changed": "変化のみ", "sort": "並べ替え", "play": "再生",
    "+10 s": "+10 秒", "-10 s": "-10 秒", "go to": "移動", "close": "閉じる", "back": "戻る", "search": "検索",
    "every key, this list": "すべてのキー（この一覧）",
    "move the focus to the next table": "次の表にフォーカスを移す",
    "filter counters and sysctls by name (Enter applies, Esc clears)":
        "カウンタと sysctl を名前で絞り込む（Enter で適用、Esc で解除）",
    "pause the display (sampling goes on)": "表示を一時停止する（サンプリングは続く）",
    "mark: deltas count from now": "マーク：増分を今から数え直す",
    "snapshot the whole state to a JSON file": "全体の状態を JSON ファイルに保存する",
    "open the note for the row under the cursor": "カーソル行のノートを開く",
    "what the focused pane shows, with the notes of everything on it":
        "フォーカス中のペインの説明と、そこに出ているものすべてのノート",
    "refresh the display faster": "表示の更新を速くする", "refresh the display slower": "表示の更新を遅くする",
    "start / stop recording to nettop-<host>-<time>.ntr": "nettop-<host>-<time>.ntr への記録を開始 / 停止する",
    "replay: play / pause": "再生：再生 / 一時停止", "replay: slower (down to 1x)": "再生：遅く（1 倍まで）",
    "replay: faster (up to 60x)": "再生：速く（60 倍まで）", "replay: 10 s back": "再生：10 秒戻る",
    "replay: 10 s forward": "再生：10 秒進む",
    "replay: go to a time (HH:MM:SS from the start)": "再生：指定時刻へ移動（開始からの HH:MM:SS）",
    "counters: only those that changed since the mark": "カウンタ：マーク以降に変化したものだけ",
    "counters: sort by rate / by name": "カウンタ：レート順 / 名前順",
    "nettop keys": "nettop のキー", "Esc closes": "Esc で閉じる", "everywhere": "どこでも", "live": "ライブ",
    "replay": "再生", "{pane} pane (when it has the focus)": "{pane} ペイン（フォーカスがあるとき）",
    # status line, strip, notices
    "host namespace": "ホストの名前空間", "recording of {host}": "{host} の記録", "PAUSED": "一時停止中",
    "SAMPLER STOPPED: {why}": "サンプラー停止：{why}", "GONE: {why}": "消失：{why}",
    "REC FAILED: {why}": "記録失敗：{why}", "REC {file} ({n} samples)": "記録中 {file}（{n} サンプル）",
    "{n} down: {names}": "{n} 件停止：{names}", "degraded: {names}": "一部不良：{names}",
    "{name}: {n} bad lines skipped, last {line}": "{name}：不正な行を {n} 行スキップ、最後は {line}",
    "sampling {hz:.0f} Hz": "サンプリング {hz:.0f} Hz", "sampling -": "サンプリング -",
    "(budget {limit} of a core)": "（予算は 1 コアの {limit}）",
    "nettop CPU {cpu:.1f}%": "nettop の CPU {cpu:.1f}%", "refresh {s:g}s": "更新 {s:g} 秒",
    "mark {s:.0f}s ago": "マーク {s:.0f} 秒前",
    "no findings over the last 10 s": "直近 10 秒の検出はありません",
    "figures stopped at {since}: {why}": "{since} 以降の数値は止まっています：{why}",
    "more: {what} — the Overview (1) lists them all": "件：{what}（すべては概要ペイン（1）に）",
    "{n} critical": "重大 {n}", "{n} warning": "警告 {n}", "{n} warnings": "警告 {n}",
    "STALE since {seen}: {why}": "{seen} から古いまま：{why}", "the sampler stopped: {why}": "サンプラーが停止：{why}",
    "{state}: last seen {seen} ({why})": "{state}：最終取得 {seen}（{why}）", "not applicable: {why}": "対象外：{why}",
    "stale": "古い", "down": "停止", "not applicable": "対象外", "pending": "未取得",
    "mark set: deltas count from now": "マークしました：増分は今から数えます",
    "snapshot failed: {why}: {where}": "スナップショット失敗：{why}：{where}",
    "snapshot written to {path}": "スナップショットを {path} に書きました",
    "no note for {key} yet": "{key} のノートはまだありません",
    "sampler {what}": "サンプラー {what}", "recording stopped: {path}": "記録を停止しました：{path}",
    "cannot record to {path}: {why}": "{path} に記録できません：{why}", "recording to {path}": "{path} に記録中",
    "filter counters and sysctls by name": "カウンタと sysctl を名前で絞り込む",
    "go to HH:MM:SS from the start of the recording": "記録の開始からの HH:MM:SS へ移動",
    "filter '{text}'": "絞り込み「{text}」", "changed only": "変化のみ", "by rate": "レート順",
    "TCP memory (pages), last 60 s": "TCP のメモリ（ページ）、直近 60 秒",
    "backlog of {what} (bytes), every sample": "{what} の滞留（バイト）、全サンプル",
    "{name} rx bytes/s": "{name} 受信バイト/秒",
    # findings (collectors/findings: titles and what bound)
    "accept queue of {local} full: {peak} waiting, backlog {backlog}":
        "{local} の accept キューが満杯：{peak} 件待ち、バックログ {backlog}",
    "{owner}'s": "{owner} の", "the application's": "アプリケーションの",
    "{who} listen() backlog {backlog}: net.core.somaxconn {somaxconn} is higher and not the limit":
        "{who} listen() のバックログ {backlog}：net.core.somaxconn {somaxconn} のほうが大きく、上限ではありません",
    "net.core.somaxconn {somaxconn}: it cut {who} listen() backlog to {backlog}":
        "net.core.somaxconn {somaxconn}：{who} listen() のバックログを {backlog} に切り詰めています",
    "the backlog {backlog} (the smaller of {who} listen() and net.core.somaxconn)":
        "バックログ {backlog}（{who} listen() と net.core.somaxconn の小さいほう）",
    "listen queues overflow ({rate:.1f}/s)": "リスナーのキューがあふれています（{rate:.1f}/秒）",
    "a listener's backlog, the smaller of its listen() and net.core.somaxconn":
        "リスナーのバックログ（listen() と net.core.somaxconn の小さいほう）",
    "SYN queue full and SYN cookies off: connection requests are dropped":
        "SYN キューが満杯で SYN cookie が無効：接続要求が破棄されています",
    "a listener's SYN queue holds at most its accept backlog (listen(), cut to net.core.somaxconn); "
    "net.ipv4.tcp_syncookies is 0":
        "リスナーの SYN キューは accept のバックログ（listen()、net.core.somaxconn で切り詰め）までしか入りません。"
        "net.ipv4.tcp_syncookies は 0 です",
    "SYN queue overflowing: SYN cookies sent ({rate:.0f}/s; a SYN flood or a listener far too slow)":
        "SYN キューがあふれています：SYN cookie を送信中（{rate:.0f}/秒。SYN フラッドか、リスナーが遅すぎます）",
    "a listener's SYN queue holds at most its accept backlog (listen(), cut to net.core.somaxconn); "
    "past it SYN cookies answer":
        "リスナーの SYN キューは accept のバックログ（listen()、net.core.somaxconn で切り詰め）までで、それを超えると"
        " SYN cookie が応答します",
    "{pages:,} pages ({mib:,.0f} MiB)": "{pages:,} ページ（{mib:,.0f} MiB）",
    "net.ipv4.tcp_mem pressure mark {pressure} (high {high}); TCP holds {used}, peak {peak}":
        "net.ipv4.tcp_mem の pressure {pressure}（high {high}）。TCP の使用量 {used}、最大 {peak}",
    "TCP is in memory pressure": "TCP がメモリ圧迫状態です",
    "TCP is in memory pressure and resets connections (TCP OOM)":
        "TCP がメモリ圧迫状態で、接続をリセットしています（TCP OOM）",
    "TCP memory at {percent:.0f}% of tcp_mem's pressure mark":
        "TCP のメモリが tcp_mem の pressure の {percent:.0f}% です",
    "net.ipv4.tcp_rmem max {bytes:,} bytes": "net.ipv4.tcp_rmem の最大 {bytes:,} バイト",
    "TCP receive queues are being collapsed, pruned or dropped":
        "TCP の受信キューで collapse、prune、破棄が起きています",
    "a socket's receive buffer ({limit}, or the application's SO_RCVBUF): the application reads too slowly":
        "ソケットの受信バッファ（{limit}、またはアプリケーションの SO_RCVBUF）：アプリケーションの読み出しが遅すぎます",
    "CPU input backlogs overflow ({rate:.1f} packets/s dropped)":
        "CPU の入力バックログがあふれています（{rate:.1f} パケット/秒を破棄）",
    "net.core.netdev_max_backlog {backlog} packets per CPU":
        "CPU ごとの net.core.netdev_max_backlog {backlog} パケット",
    "receive softirq runs out of budget ({rate:.1f} time_squeeze/s)":
        "受信 softirq の予算が尽きています（{rate:.1f} time_squeeze/秒）",
    "net.core.netdev_budget {values} (packets / microseconds per softirq run)":
        "net.core.netdev_budget {values}（softirq 1 回あたりのパケット / マイクロ秒）",
    "{limit:,} packets": "{limit:,} パケット", "{limit:,} bytes": "{limit:,} バイト", "not known": "不明",
    "{dev} txqueuelen ({kind} queues up to it)": "{dev} の txqueuelen（{kind} はここまでためます）",
    "rate {rate} ceil {ceil}, sending {sending}": "rate {rate} ceil {ceil}、送信 {sending}",
    "rate {rate} ceil {ceil}, sending {sending} — held at its ceil":
        "rate {rate} ceil {ceil}、送信 {sending}：ceil で頭打ち",
    "{what} {value}": "{what} {value}",
    "qdisc {subject} ({kind}) drops {rate:.1f} packets/s": "qdisc {subject}（{kind}）が {rate:.1f} パケット/秒を破棄",
    "qdisc {subject} never emptied for {seconds:.0f} s (bufferbloat: latency without throughput)":
        "qdisc {subject} が {seconds:.0f} 秒間一度も空になりません（bufferbloat：スループットを伴わない遅延）",
    "the NIC's receive ring (ethtool -g) or a CPU that drains it too slowly":
        "NIC の受信リング（ethtool -g）、またはそれを処理する CPU が遅すぎます",
    "the link itself: cable, optics or the peer": "リンク自体：ケーブル、光モジュール、または対向",
    "{dev}: {field} rising ({rate:.1f}/s)": "{dev}：{field} が増えています（{rate:.1f}/秒）",
    "conntrack table {percent:.0f}% full": "conntrack テーブルが {percent:.0f}% 埋まっています",
    "net.netfilter.nf_conntrack_max {limit:,} entries": "net.netfilter.nf_conntrack_max {limit:,} エントリ",
    "{orphans} orphaned TCP sockets, {percent:.0f}% of tcp_max_orphans":
        "孤立ソケット {orphans} 個（tcp_max_orphans の {percent:.0f}%）",
    "net.ipv4.tcp_max_orphans {limit:,} (each orphan counts double under memory pressure)":
        "net.ipv4.tcp_max_orphans {limit:,}（メモリ圧迫中は孤立ソケット 1 個を 2 個と数えます）",
    "{tw} sockets in TIME_WAIT against tcp_max_tw_buckets {max_tw}":
        "TIME_WAIT のソケット {tw} 個（tcp_max_tw_buckets は {max_tw}）",
    "net.ipv4.tcp_max_tw_buckets {max_tw}": "net.ipv4.tcp_max_tw_buckets {max_tw}",
    "{devs} share {net} with arp_filter 0: any of them may answer ARP for the others' addresses":
        "{devs} が {net} を共有し arp_filter が 0：どれもが互いのアドレスの ARP に応答しえます",
    "arp_filter 0 on these interfaces: each answers ARP for all the host's addresses":
        "これらのインタフェースの arp_filter が 0：それぞれがホストの全アドレスの ARP に応答します",
    "strict rp_filter on {dev} while the default route leaves by {out}: packets from other networks "
    "arriving on {dev} are dropped":
        "{dev} の rp_filter が strict で、デフォルトルートは {out} から出ます：{dev} に届く他のネットワークからの"
        "パケットは破棄されます",
    "net.ipv4.conf.{dev}.rp_filter 1 (strict; the larger of all and {dev} applies)":
        "net.ipv4.conf.{dev}.rp_filter 1（strict。all と {dev} の大きいほうが効きます）",
    # drop reasons (widgets/drops.py, collectors/findings/drops.py, collectors/drops/source.py)
    "Drop reasons": "破棄の理由", "reason": "理由", "location": "場所", "share": "割合", "by reason": "理由ごと",
    "drops: one row per reason / per reason and location": "破棄：理由ごとに 1 行 / 理由と場所ごとに 1 行",
    "no drop since nettop started": "nettop の起動以来、破棄はありません",
    "every drop counted (BPF)": "すべての破棄を数えています（BPF）",
    "sampled: totals exact, split by reason estimated": "サンプリング：合計は正確、理由ごとの内訳は推定",
    "counts are host-wide: the kernel does not say which namespace a drop belongs to":
        "ホスト全体の件数です：カーネルは破棄がどの名前空間のものかを示しません",
    "{reason} {rate}/s at {function}": "{function} で {reason} を {rate}/秒 破棄",
    "{reason} {rate}/s": "{reason} を {rate}/秒 破棄",
    "a socket's receive buffer: SO_RCVBUF, else net.core.rmem_default {rmem_default}; "
    "SO_RCVBUF is capped at net.core.rmem_max {rmem_max}":
        "ソケットの受信バッファ：SO_RCVBUF、なければ net.core.rmem_default {rmem_default}。SO_RCVBUF の上限は "
        "net.core.rmem_max {rmem_max}",
    "protocol memory for all sockets: udp_mem[0] ({udp_mem}) for UDP, tcp_mem ({tcp_mem}) for TCP, in pages":
        "全ソケットのプロトコルメモリ：UDP は udp_mem[0]（{udp_mem}）、TCP は tcp_mem（{tcp_mem}）、単位はページ",
    "a socket's backlog while its owner holds the lock: receive buffer plus send buffer":
        "所有者がロックを握っている間のソケットのバックログ：受信バッファと送信バッファの合計",
    "the receiver's window is zero: the application is not reading":
        "受信側のウィンドウが 0：アプリケーションが読み出していません",
    "the receive buffer, net.ipv4.tcp_rmem {tcp_rmem}": "受信バッファ、net.ipv4.tcp_rmem {tcp_rmem}",
    "a netfilter rule or conntrack (nf_conntrack_count {nf_conntrack_count} of nf_conntrack_max {nf_conntrack_max})":
        "netfilter のルールまたは conntrack（nf_conntrack_max {nf_conntrack_max} のうち nf_conntrack_count "
        "{nf_conntrack_count}）",
    "reverse-path filtering: net.ipv4.conf.all.rp_filter {rp_filter} (the higher of all and the interface's value "
    "applies)":
        "逆経路フィルタ：net.ipv4.conf.all.rp_filter {rp_filter}（all とインタフェースの値の大きいほうが効きます）",
    "packets queued per unresolved neighbour: net.ipv4.neigh.<dev>.unres_qlen_bytes":
        "未解決の近隣ごとにためるパケット：net.ipv4.neigh.<dev>.unres_qlen_bytes",
    "a neighbour that does not answer ARP/ND": "ARP/ND に応答しない近隣",
    "the device's transmit ring (ethtool -g)": "デバイスの送信リング（ethtool -g）",
    "a device that is down or has no carrier": "停止しているかキャリアのないデバイス",
    "memory for a packet buffer": "パケットバッファ用のメモリ",
    # the Connections pane, its detail screen and its findings
    "Connections": "接続", "group": "まとめ方", "in": "対象", "max": "最大",
    "who": "相手", "conns/state": "接続数/状態", "owner": "プロセス", "send B/s": "送信 B/秒", "recv B/s": "受信 B/秒",
    "retrans/s": "再送/秒", "rtt ms": "rtt ms", "min_rtt ms": "min_rtt ms", "limited": "制限",
    "by peer": "相手ごと", "by port": "ポートごと", "by process": "プロセスごと", "by connection": "接続ごと",
    "sorted by retrans": "再送順", "sorted by rtt": "rtt 順", "sorted by bytes": "バイト数順",
    "sorted by limited": "制限の割合順",
    "connections: by peer / port / process / each connection": "接続：相手 / ポート / プロセス / 接続ごと",
    "connections: sort by retransmits / rtt / bytes / limited share":
        "接続：再送 / rtt / バイト数 / 制限の割合で並べ替え",
    "{n} TCP connections, send {send}B/s, recv {recv}B/s, retrans {retrans}/s":
        "TCP 接続 {n} 本、送信 {send}B/秒、受信 {recv}B/秒、再送 {retrans}/秒",
    "UDP {local} ({owner}) drops {rate}/s": "UDP {local}（{owner}）が {rate}/秒 破棄",
    "this connection is gone or no longer among the busiest": "この接続は閉じたか、最も活発な接続に入らなくなりました",
    "last {n} samples": "直近 {n} サンプル",
    "UDP socket {local} of {owner} drops {rate:.0f}/s": "{owner} の UDP ソケット {local} が {rate:.0f}/秒 破棄",
    "its receive buffer {rcvbuf:,} bytes (SO_RCVBUF, else net.core.rmem_default {rmem_default}; capped at "
    "net.core.rmem_max {rmem_max}): the application reads too slowly":
        "受信バッファ {rcvbuf:,} バイト（SO_RCVBUF、なければ net.core.rmem_default {rmem_default}。上限は "
        "net.core.rmem_max {rmem_max}）：アプリケーションの読み出しが遅すぎます",
    "{n} connections wait on the receiver's window (e.g. {example})":
        "{n} 本の接続が受信側のウィンドウ待ち（例：{example}）",
    "the receiver's buffer: its SO_RCVBUF, else net.ipv4.tcp_rmem max ({tcp_rmem}); SO_RCVBUF is capped at "
    "net.core.rmem_max {rmem_max}":
        "受信側のバッファ：SO_RCVBUF、なければ net.ipv4.tcp_rmem の最大（{tcp_rmem}）。SO_RCVBUF の上限は "
        "net.core.rmem_max {rmem_max}",
    "{n} connections wait on their own send buffer (e.g. {example})":
        "{n} 本の接続が自身の送信バッファ待ち（例：{example}）",
    "the sender's buffer: its SO_SNDBUF, else net.ipv4.tcp_wmem max ({tcp_wmem}); SO_SNDBUF is capped at "
    "net.core.wmem_max {wmem_max}":
        "送信側のバッファ：SO_SNDBUF、なければ net.ipv4.tcp_wmem の最大（{tcp_wmem}）。SO_SNDBUF の上限は "
        "net.core.wmem_max {wmem_max}",
    "rtt to {peer} {rtt:.0f} ms, {times:.0f}x its min_rtt {floor:.1f} ms":
        "{peer} への rtt が {rtt:.0f} ms、min_rtt {floor:.1f} ms の {times:.0f} 倍",
    "a queue on the path to {peer}: a standing queue in a qdisc or a device, here or on the way (bufferbloat), "
    "or a congested link; or a slow peer (delayed ACKs, a closed window)":
        "{peer} への経路上の待ち行列：このホストか途中の qdisc やデバイスにたまり続けるキュー（bufferbloat）、"
        "混雑したリンク、または遅い相手（遅延 ACK、閉じたウィンドウ）",
    "{name} has {share:.0f}% of the host's TCP retransmits ({rate:.0f}/s)":
        "{name} がホストの TCP 再送の {share:.0f}% を占めています（{rate:.0f}/秒）",
    "loss on the path to {name}, or its receiver dropping": "{name} への経路での損失、または受信側での破棄",
    "the paths {name} talks over, see its peers on the Connections pane (0)":
        "{name} が使う経路：接続ペイン（0）で相手を確認してください",
    # the sampler's tiers and its costly sources (tui/status.py, tui/datasource.py)
    "gauges {hz:.0f} Hz, counters {counters:.0f} Hz": "ゲージ {hz:.0f} Hz、カウンタ {counters:.0f} Hz",
    "slower: {what}": "間引き中：{what}",
    "{name} every {every:.0f} s ({cost:.0f} ms a read)": "{name} は {every:.0f} 秒ごと（1 回 {cost:.0f} ms）",
    # the Sockets pane: sockstat totals every tick, the per-state breakdown at its own pace
    "TCP now:": "TCP 現在：",
    "by state (not read yet)": "状態別（まだ読んでいません）",
    "by state:": "状態別：",
    "by state, {age} s ago:": "状態別（{age} 秒前）：",
}
