"""Connections: every TCP connection's tcp_info and every UDP socket's drops, via sock_diag.

wire: requests, field offsets, message shapes; dumper: a dump decoded as columns; model: what
the source keeps (bounded); source: the sampler's `connections` source.
"""
