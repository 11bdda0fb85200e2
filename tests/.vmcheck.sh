set -u
source tests/lib/netns.bash
netns_setup
trap netns_cleanup EXIT
respond_xdp 198.18.0.0/24 --ttl 61
mkdir -p $NET_TMP/bpffs && mount -t bpf bpf $NET_TMP/bpffs
export LIBXDP_BPFFS=$NET_TMP/bpffs
in_s xdp-filter load -m skb $IFACE
in_s $ECHOMAP ping -v -c 2 -p 100 -I $IFACE --engine xdp-live --allow-reserved 198.18.0.1 2>&1 | grep -v "^libbpf\|^libxdp"
in_s $ECHOMAP sweep -v -I $IFACE --engine xdp-live --allow-reserved 198.18.0.0/24 2>&1 | grep -v "^libbpf\|^libxdp" | tail -5
in_s xdp-loader status $IFACE
in_s xdp-filter unload $IFACE
umount -l $NET_TMP/bpffs
