"""tracefs format files of skb:kfree_skb from several kernels (test data).

* 5.15: from include/trace/events/skb.h of v5.10/v5.15 (no reason field); offsets
  as ftrace lays out the three fields after the 8-byte common header.
* 5.17: reason field added (commit c504e5c2f964), enum printed through
  TRACE_DEFINE_ENUM; NOT_SPECIFIED = 0 (no SKB_NOT_DROPPED_YET yet).
* 5.19/6.0: "net: skb: use auto-generation to convert skb drop reason to string"
  printed ``drop_reasons[REC->reason]``: no symbol table in the format file.
* 6.1: Debian linux-headers-6.1.0-55-common (6.1.192) include/net/dropreason.h:
  SKB_NOT_DROPPED_YET = 0, so NOT_SPECIFIED = 1; no rx_sk field.
* 6.18: copied from this machine (6.18.44): rx_sk present, reason at offset 36,
  NOT_SPECIFIED = 2 (SKB_CONSUMED = 1 since 6.3).
"""

_COMMON = """\
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;
"""

FORMAT_5_15 = """\
name: kfree_skb
ID: 1339
format:
""" + _COMMON + """
	field:void * skbaddr;	offset:8;	size:8;	signed:0;
	field:void * location;	offset:16;	size:8;	signed:0;
	field:unsigned short protocol;	offset:24;	size:2;	signed:0;

print fmt: "skbaddr=%p protocol=%u location=%p", REC->skbaddr, REC->protocol, REC->location
"""

FORMAT_5_17 = """\
name: kfree_skb
ID: 1432
format:
""" + _COMMON + """
	field:void * skbaddr;	offset:8;	size:8;	signed:0;
	field:void * location;	offset:16;	size:8;	signed:0;
	field:unsigned short protocol;	offset:24;	size:2;	signed:0;
	field:enum skb_drop_reason reason;	offset:28;	size:4;	signed:0;

print fmt: "skbaddr=%p protocol=%u location=%p reason: %s", REC->skbaddr, REC->protocol, REC->location, \
__print_symbolic(REC->reason, { 0, "NOT_SPECIFIED" }, { 1, "NO_SOCKET" }, { 2, "PKT_TOO_SMALL" }, \
{ 3, "TCP_CSUM" }, { 4, "SOCKET_FILTER" }, { 5, "UDP_CSUM" }, { 6, "MAX" })
"""

# 5.19 (and 6.0 before the TRACE_DEFINE_ENUM fix): names come from a kernel array
FORMAT_5_19 = """\
name: kfree_skb
ID: 1480
format:
""" + _COMMON + """
	field:void * skbaddr;	offset:8;	size:8;	signed:0;
	field:void * location;	offset:16;	size:8;	signed:0;
	field:unsigned short protocol;	offset:24;	size:2;	signed:0;
	field:enum skb_drop_reason reason;	offset:28;	size:4;	signed:0;

print fmt: "skbaddr=%p protocol=%u location=%p reason: %s", REC->skbaddr, REC->protocol, REC->location, \
drop_reasons[REC->reason]
"""

FORMAT_6_1 = """\
name: kfree_skb
ID: 1527
format:
""" + _COMMON + """
	field:void * skbaddr;	offset:8;	size:8;	signed:0;
	field:void * location;	offset:16;	size:8;	signed:0;
	field:unsigned short protocol;	offset:24;	size:2;	signed:0;
	field:enum skb_drop_reason reason;	offset:28;	size:4;	signed:0;

print fmt: "skbaddr=%p protocol=%u location=%p reason: %s", REC->skbaddr, REC->protocol, REC->location, \
__print_symbolic(REC->reason, { 1, "NOT_SPECIFIED" }, { 2, "NO_SOCKET" }, { 3, "PKT_TOO_SMALL" }, { 4, "TCP_CSUM" }, { 5, "SOCKET_FILTER" }, { 6, "UDP_CSUM" }, { 7, "NETFILTER_DROP" }, { 8, "OTHERHOST" }, { 9, "IP_CSUM" }, { 10, "IP_INHDR" }, { 11, "IP_RPFILTER" }, { 12, "UNICAST_IN_L2_MULTICAST" }, { 13, "XFRM_POLICY" }, { 14, "IP_NOPROTO" }, { 15, "SOCKET_RCVBUFF" }, { 16, "PROTO_MEM" }, { 17, "TCP_MD5NOTFOUND" }, { 18, "TCP_MD5UNEXPECTED" }, { 19, "TCP_MD5FAILURE" }, { 20, "SOCKET_BACKLOG" }, { 21, "TCP_FLAGS" }, { 22, "TCP_ZEROWINDOW" }, { 23, "TCP_OLD_DATA" }, { 24, "TCP_OVERWINDOW" }, { 25, "TCP_OFOMERGE" }, { 26, "TCP_RFC7323_PAWS" }, { 27, "TCP_INVALID_SEQUENCE" }, { 28, "TCP_RESET" }, { 29, "TCP_INVALID_SYN" }, { 30, "TCP_CLOSE" }, { 31, "TCP_FASTOPEN" }, { 32, "TCP_OLD_ACK" }, { 33, "TCP_TOO_OLD_ACK" }, { 34, "TCP_ACK_UNSENT_DATA" }, { 35, "TCP_OFO_QUEUE_PRUNE" }, { 36, "TCP_OFO_DROP" }, { 37, "IP_OUTNOROUTES" }, { 38, "BPF_CGROUP_EGRESS" }, { 39, "IPV6DISABLED" }, { 40, "NEIGH_CREATEFAIL" }, { 41, "NEIGH_FAILED" }, { 42, "NEIGH_QUEUEFULL" }, { 43, "NEIGH_DEAD" }, { 44, "TC_EGRESS" }, { 45, "QDISC_DROP" }, { 46, "CPU_BACKLOG" }, { 47, "XDP" }, { 48, "TC_INGRESS" }, { 49, "UNHANDLED_PROTO" }, { 50, "SKB_CSUM" }, { 51, "SKB_GSO_SEG" }, { 52, "SKB_UCOPY_FAULT" }, { 53, "DEV_HDR" }, { 54, "DEV_READY" }, { 55, "FULL_RING" }, { 56, "NOMEM" }, { 57, "HDR_TRUNC" }, { 58, "TAP_FILTER" }, { 59, "TAP_TXFILTER" }, { 60, "ICMP_CSUM" }, { 61, "INVALID_PROTO" }, { 62, "IP_INADDRERRORS" }, { 63, "IP_INNOROUTES" }, { 64, "PKT_TOO_BIG" }, { 65, "TC_CHAIN_NOTFOUND" }, { 66, "MAX" })
"""

FORMAT_6_18 = """\
name: kfree_skb
ID: 2310
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:void * skbaddr;	offset:8;	size:8;	signed:0;
	field:void * location;	offset:16;	size:8;	signed:0;
	field:void * rx_sk;	offset:24;	size:8;	signed:0;
	field:unsigned short protocol;	offset:32;	size:2;	signed:0;
	field:enum skb_drop_reason reason;	offset:36;	size:4;	signed:0;

print fmt: "skbaddr=%p rx_sk=%p protocol=%u location=%pS reason: %s", REC->skbaddr, REC->rx_sk, REC->protocol, REC->location, __print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, { 3, "NO_SOCKET" }, { 4, "SOCKET_CLOSE" }, { 5, "SOCKET_FILTER" }, { 6, "SOCKET_RCVBUFF" }, { 7, "UNIX_DISCONNECT" }, { 8, "UNIX_SKIP_OOB" }, { 9, "PKT_TOO_SMALL" }, { 10, "TCP_CSUM" }, { 11, "UDP_CSUM" }, { 12, "NETFILTER_DROP" }, { 13, "OTHERHOST" }, { 14, "IP_CSUM" }, { 15, "IP_INHDR" }, { 16, "IP_RPFILTER" }, { 17, "UNICAST_IN_L2_MULTICAST" }, { 18, "XFRM_POLICY" }, { 19, "IP_NOPROTO" }, { 20, "PROTO_MEM" }, { 21, "TCP_AUTH_HDR" }, { 22, "TCP_MD5NOTFOUND" }, { 23, "TCP_MD5UNEXPECTED" }, { 24, "TCP_MD5FAILURE" }, { 25, "TCP_AONOTFOUND" }, { 26, "TCP_AOUNEXPECTED" }, { 27, "TCP_AOKEYNOTFOUND" }, { 28, "TCP_AOFAILURE" }, { 29, "SOCKET_BACKLOG" }, { 30, "TCP_FLAGS" }, { 31, "TCP_ABORT_ON_DATA" }, { 32, "TCP_ZEROWINDOW" }, { 33, "TCP_OLD_DATA" }, { 34, "TCP_OVERWINDOW" }, { 35, "TCP_OFOMERGE" }, { 36, "TCP_RFC7323_PAWS" }, { 37, "TCP_RFC7323_PAWS_ACK" }, { 38, "TCP_RFC7323_TW_PAWS" }, { 39, "TCP_RFC7323_TSECR" }, { 40, "TCP_LISTEN_OVERFLOW" }, { 41, "TCP_OLD_SEQUENCE" }, { 42, "TCP_INVALID_SEQUENCE" }, { 43, "TCP_INVALID_END_SEQUENCE" }, { 44, "TCP_INVALID_ACK_SEQUENCE" }, { 45, "TCP_RESET" }, { 46, "TCP_INVALID_SYN" }, { 47, "TCP_CLOSE" }, { 48, "TCP_FASTOPEN" }, { 49, "TCP_OLD_ACK" }, { 50, "TCP_TOO_OLD_ACK" }, { 51, "TCP_ACK_UNSENT_DATA" }, { 52, "TCP_OFO_QUEUE_PRUNE" }, { 53, "TCP_OFO_DROP" }, { 54, "IP_OUTNOROUTES" }, { 55, "BPF_CGROUP_EGRESS" }, { 56, "IPV6DISABLED" }, { 57, "NEIGH_CREATEFAIL" }, { 58, "NEIGH_FAILED" }, { 59, "NEIGH_QUEUEFULL" }, { 60, "NEIGH_DEAD" }, { 61, "NEIGH_HH_FILLFAIL" }, { 62, "TC_EGRESS" }, { 63, "SECURITY_HOOK" }, { 64, "QDISC_DROP" }, { 65, "QDISC_OVERLIMIT" }, { 66, "QDISC_CONGESTED" }, { 67, "CAKE_FLOOD" }, { 68, "FQ_BAND_LIMIT" }, { 69, "FQ_HORIZON_LIMIT" }, { 70, "FQ_FLOW_LIMIT" }, { 71, "CPU_BACKLOG" }, { 72, "XDP" }, { 73, "TC_INGRESS" }, { 74, "UNHANDLED_PROTO" }, { 75, "SKB_CSUM" }, { 76, "SKB_GSO_SEG" }, { 77, "SKB_UCOPY_FAULT" }, { 78, "DEV_HDR" }, { 79, "DEV_READY" }, { 80, "FULL_RING" }, { 81, "NOMEM" }, { 82, "HDR_TRUNC" }, { 83, "TAP_FILTER" }, { 84, "TAP_TXFILTER" }, { 85, "ICMP_CSUM" }, { 86, "INVALID_PROTO" }, { 87, "IP_INADDRERRORS" }, { 88, "IP_INNOROUTES" }, { 89, "IP_LOCAL_SOURCE" }, { 90, "IP_INVALID_SOURCE" }, { 91, "IP_LOCALNET" }, { 92, "IP_INVALID_DEST" }, { 93, "PKT_TOO_BIG" }, { 94, "DUP_FRAG" }, { 95, "FRAG_REASM_TIMEOUT" }, { 96, "FRAG_TOO_FAR" }, { 97, "TCP_MINTTL" }, { 98, "IPV6_BAD_EXTHDR" }, { 99, "IPV6_NDISC_FRAG" }, { 100, "IPV6_NDISC_HOP_LIMIT" }, { 101, "IPV6_NDISC_BAD_CODE" }, { 102, "IPV6_NDISC_BAD_OPTIONS" }, { 103, "IPV6_NDISC_NS_OTHERHOST" }, { 104, "QUEUE_PURGE" }, { 105, "TC_COOKIE_ERROR" }, { 106, "PACKET_SOCK_ERROR" }, { 107, "TC_CHAIN_NOTFOUND" }, { 108, "TC_RECLASSIFY_LOOP" }, { 109, "VXLAN_INVALID_HDR" }, { 110, "VXLAN_VNI_NOT_FOUND" }, { 111, "MAC_INVALID_SOURCE" }, { 112, "VXLAN_ENTRY_EXISTS" }, { 113, "NO_TX_TARGET" }, { 114, "IP_TUNNEL_ECN" }, { 115, "TUNNEL_TXINFO" }, { 116, "LOCAL_MAC" }, { 117, "ARP_PVLAN_DISABLE" }, { 118, "MAC_IEEE_MAC_CONTROL" }, { 119, "BRIDGE_INGRESS_STP_STATE" }, { 120, "CAN_RX_INVALID_FRAME" }, { 121, "CANFD_RX_INVALID_FRAME" }, { 122, "CANXL_RX_INVALID_FRAME" }, { 123, "PFMEMALLOC" }, { 124, "DUALPI2_STEP_DROP" }, { 125, "PSP_INPUT" }, { 126, "PSP_OUTPUT" }, { 127, "RECURSION_LIMIT" }, { 128, "SKB_RX_HEADROOM" }, { 129, "MAX" })
"""
