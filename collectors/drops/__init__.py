"""The kernel's own drop reasons: skb:kfree_skb counted by (code location, reason).

bpfsys: the bpf(2) and perf_event_open(2) calls and a small eBPF assembler (no compiler,
no libbpf, no kernel headers); tracepoint: the event's layout read at run time; counters:
the BPF and perf-sampling engines; ksyms: addresses to function+offset; source: the
sampler's `drops` source.
"""
