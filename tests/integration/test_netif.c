// SPDX-License-Identifier: GPL-2.0
/*
 * Route, interface, neighbour and drop-counter lookups against two throwaway namespaces:
 *
 *   A (this process)                           B
 *   emA0 192.0.2.1/29  <--- veth --->  emB0 192.0.2.2/29
 *   emA1 192.0.2.9/29  <--- veth --->  emB1 192.0.2.10/29
 *   emD  (down)        <--- veth --->  emBD
 *                                               lo 198.18.0.1/32
 *   198.18.0.0/24 via 192.0.2.2, 198.18.0.0/23 via 192.0.2.10, no default route
 *   IPv6: emA0 2001:db8::1/64 and fe80::a0, emB0 2001:db8::2/64 and fe80::b0, emA1 fe80::a1,
 *   emB1 fe80::b1 (all nodad); 2001:db8:1::/64 via 2001:db8::2, 2001:db8:2::/64 via fe80::b1
 *   dev emA1, 2001:db8:3::/64 via 2001:db8::7 (nobody)
 *   (the neighbour tests add routes of their own through gateways that do not answer ARP)
 *
 * Needs root, iproute2 and veth; every test is reported skipped otherwise. The namespaces carry
 * the pid in their names and go away at teardown, exit or SIGTERM/SIGINT, whatever happened.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/netif.h"

static const __u8 MAC_A0[6] = { 0x02, 0xe3, 0x00, 0x00, 0xa0, 0x01 };
static const __u8 MAC_B0[6] = { 0x02, 0xe3, 0x00, 0x00, 0xb0, 0x01 };
static const __u8 MAC_A1[6] = { 0x02, 0xe3, 0x00, 0x00, 0xa1, 0x01 };
static const __u8 MAC_B1[6] = { 0x02, 0xe3, 0x00, 0x00, 0xb1, 0x01 };

#define TIMEOUT_MS 2000

static char ns_a[32], ns_b[32];
static int orig_ns = -1;
static bool created;

/* Runs an ip(8) command line with @A and @B standing for the two namespaces' names. */
static int ip(const char *fmt, ...)
{
	char line[512], cmd[1024];
	va_list ap;
	size_t o;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o = snprintf(cmd, sizeof(cmd), "ip ");
	/* Room left for a name at every step: cmd holds line's length plus two names. */
	for (const char *p = line; *p; p++) {
		if (p[0] == '@' && (p[1] == 'A' || p[1] == 'B')) {
			o += snprintf(cmd + o, sizeof(cmd) - o, "%s", p[1] == 'A' ? ns_a : ns_b);
			p++;
		} else {
			cmd[o++] = *p;
		}
	}
	cmd[o] = '\0';
	return system(cmd);
}

/* First line of `ip -n A ...` output, empty if none. */
static void ip_read(char *out, size_t len, const char *args)
{
	char cmd[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip -n %s %s", ns_a, args);
	out[0] = '\0';
	f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(out, len, f))
		out[0] = '\0';
	pclose(f);
}

static void cleanup(void)
{
	if (orig_ns >= 0) {
		setns(orig_ns, CLONE_NEWNET);
		close(orig_ns);
		orig_ns = -1;
	}
	if (created) {
		ip("netns del @A 2>/dev/null");
		ip("netns del @B 2>/dev/null");
		created = false;
	}
}

/*
 * A test that hangs is ended by the runner's timeout(1): take the namespaces along. Not
 * async-signal-safe, but the process is going away and leftovers would outlive it.
 */
static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

static int enter_ns(const char *name)
{
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

static const char *const setup_cmds[] = {
	"-n @A link set lo up",
	"-n @B link set lo up",
	"-n @A link add emA0 address 02:e3:00:00:a0:01 numtxqueues 4 numrxqueues 2 type veth "
	"peer name emB0 netns @B address 02:e3:00:00:b0:01",
	"-n @A link add emA1 address 02:e3:00:00:a1:01 type veth "
	"peer name emB1 netns @B address 02:e3:00:00:b1:01",
	"-n @A link add emD type veth peer name emBD netns @B",
	"-n @A addr add 192.0.2.1/29 dev emA0",
	"-n @A addr add 192.0.2.9/29 dev emA1",
	"-n @B addr add 192.0.2.2/29 dev emB0",
	"-n @B addr add 192.0.2.10/29 dev emB1",
	"-n @B addr add 198.18.0.1/32 dev lo",
	"-n @A link set emA0 up",
	"-n @A link set emA1 up",
	"-n @B link set emB0 up",
	"-n @B link set emB1 up",
	"-n @A route add 198.18.0.0/24 via 192.0.2.2",
	"-n @A route add 198.18.0.0/23 via 192.0.2.10",
	"-n @A -6 addr add 2001:db8::1/64 dev emA0 nodad",
	"-n @A -6 addr add fe80::a0/64 dev emA0 nodad",
	"-n @A -6 addr add fe80::a1/64 dev emA1 nodad",
	"-n @B -6 addr add 2001:db8::2/64 dev emB0 nodad",
	"-n @B -6 addr add fe80::b0/64 dev emB0 nodad",
	"-n @B -6 addr add fe80::b1/64 dev emB1 nodad",
	"-n @A -6 route add 2001:db8:1::/64 via 2001:db8::2 dev emA0",
	"-n @A -6 route add 2001:db8:2::/64 via fe80::b1 dev emA1",
	"-n @A -6 route add 2001:db8:3::/64 via 2001:db8::7 dev emA0",
};

/* Builds the namespaces and enters A; NULL, or why the tests cannot run here. */
static const char *env_setup(void)
{
	if (geteuid())
		return "not root";
	if (system("ip -V >/dev/null 2>&1"))
		return "ip(8) from iproute2 not found";
	snprintf(ns_a, sizeof(ns_a), "emnetif-%d-a", getpid());
	snprintf(ns_b, sizeof(ns_b), "emnetif-%d-b", getpid());
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	created = true;
	if (ip("netns add @A") || ip("netns add @B"))
		return "cannot create network namespaces";
	for (size_t i = 0; i < sizeof(setup_cmds) / sizeof(setup_cmds[0]); i++)
		if (ip("%s", setup_cmds[i]))
			return "cannot set up veth pairs in the namespaces";
	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig_ns < 0 || enter_ns(ns_a))
		return "cannot enter the test namespace";
	return NULL;
}

static int group_teardown(void **state)
{
	cleanup();
	return 0;
}

static __u32 addr(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void test_gateway(void **state)
{
	struct next_hop nh;

	assert_int_equal(netif_next_hop(addr("198.18.0.1"), NULL, TIMEOUT_MS, &nh), 0);
	assert_string_equal(nh.ifname, "emA0");
	assert_int_equal(nh.ifindex, if_nametoindex("emA0"));
	assert_memory_equal(nh.src_mac, MAC_A0, 6);
	assert_memory_equal(nh.dst_mac, MAC_B0, 6);
	assert_int_equal(nh.saddr, addr("192.0.2.1"));
	assert_false(nh.on_link);

	/* The less specific route, through the other link. */
	assert_int_equal(netif_next_hop(addr("198.18.1.1"), NULL, TIMEOUT_MS, &nh), 0);
	assert_string_equal(nh.ifname, "emA1");
	assert_memory_equal(nh.src_mac, MAC_A1, 6);
	assert_memory_equal(nh.dst_mac, MAC_B1, 6);
	assert_int_equal(nh.saddr, addr("192.0.2.9"));
}

static void test_on_link(void **state)
{
	struct next_hop nh;

	assert_int_equal(netif_next_hop(addr("192.0.2.2"), NULL, TIMEOUT_MS, &nh), 0);
	assert_string_equal(nh.ifname, "emA0");
	assert_true(nh.on_link);
	assert_int_equal(nh.saddr, addr("192.0.2.1"));
}

static void addr6(const char *s, __u8 a[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

/* IPv6 through a global gateway and through a link-local one, on-link, and the failures. */
static void test_next_hop6(void **state)
{
	struct next_hop nh;
	__u8 a[16], want[16];
	long long t0;

	addr6("2001:db8:1::5", a);
	assert_int_equal(netif_next_hop6(a, NULL, TIMEOUT_MS, &nh), 0);
	assert_true(nh.v6);
	assert_string_equal(nh.ifname, "emA0");
	assert_memory_equal(nh.src_mac, MAC_A0, 6);
	assert_memory_equal(nh.dst_mac, MAC_B0, 6);
	assert_false(nh.on_link);
	addr6("2001:db8::1", want);
	assert_memory_equal(nh.saddr6, want, 16);

	/* The link-local gateway, resolved on the route's interface; the source is global. */
	addr6("2001:db8:2::5", a);
	assert_int_equal(netif_next_hop6(a, NULL, TIMEOUT_MS, &nh), 0);
	assert_string_equal(nh.ifname, "emA1");
	assert_memory_equal(nh.dst_mac, MAC_B1, 6);
	assert_false(nh.on_link);
	assert_memory_equal(nh.saddr6, want, 16);

	addr6("2001:db8::2", a);
	assert_int_equal(netif_next_hop6(a, NULL, TIMEOUT_MS, &nh), 0);
	assert_string_equal(nh.ifname, "emA0");
	assert_true(nh.on_link);

	addr6("2001:db8:9::1", a);
	assert_int_equal(netif_next_hop6(a, NULL, TIMEOUT_MS, &nh), -ENETUNREACH);
	addr6("2001:db8::1", a);
	assert_int_equal(netif_next_hop6(a, NULL, TIMEOUT_MS, &nh), -EINVAL);
	addr6("2001:db8:3::1", a);
	t0 = now_ms();
	assert_int_equal(netif_next_hop6(a, NULL, 300, &nh), -EHOSTUNREACH);
	assert_true(now_ms() - t0 >= 300);
}

/* A route covering the target through the forced interface wins over the better one. */
static void test_forced_gateway(void **state)
{
	struct next_hop nh;

	assert_int_equal(netif_next_hop(addr("198.18.0.1"), "emA1", TIMEOUT_MS, &nh), 0);
	assert_string_equal(nh.ifname, "emA1");
	assert_int_equal(nh.ifindex, if_nametoindex("emA1"));
	assert_false(nh.on_link);
	assert_int_equal(nh.saddr, addr("192.0.2.9"));
	assert_memory_equal(nh.src_mac, MAC_A1, 6);
	assert_memory_equal(nh.dst_mac, MAC_B1, 6);
}

/* No route through the forced interface: the target is taken as on-link there. */
static void test_forced_on_link(void **state)
{
	struct next_hop nh;

	assert_int_equal(netif_next_hop(addr("192.0.2.2"), "emA1", TIMEOUT_MS, &nh), 0);
	assert_string_equal(nh.ifname, "emA1");
	assert_true(nh.on_link);
	assert_int_equal(nh.saddr, addr("192.0.2.9"));
}

static void test_unknown_interface(void **state)
{
	struct next_hop nh;

	assert_int_equal(netif_next_hop(addr("198.18.0.1"), "emnosuch0", TIMEOUT_MS, &nh),
			 -ENODEV);
	assert_int_equal(netif_next_hop(addr("198.18.0.1"), "emnosuchinterface", TIMEOUT_MS, &nh),
			 -ENODEV);
	assert_int_equal(netif_ifindex("emnosuch0"), -ENODEV);
	assert_int_equal(netif_ifindex(""), -ENODEV);
}

static void test_ifindex(void **state)
{
	assert_int_equal(netif_ifindex("emA0"), if_nametoindex("emA0"));
	assert_int_equal(netif_ifindex("emD"), if_nametoindex("emD"));
	assert_int_equal(netif_ifindex("lo"), 1);
}

static void test_no_route(void **state)
{
	struct next_hop nh;

	assert_int_equal(netif_next_hop(addr("198.19.0.1"), NULL, TIMEOUT_MS, &nh), -ENETUNREACH);
}

static void test_interface_down(void **state)
{
	struct next_hop nh;

	assert_int_equal(netif_next_hop(addr("198.18.0.1"), "emD", TIMEOUT_MS, &nh), -ENETDOWN);
}

static void test_local_address(void **state)
{
	struct next_hop nh;

	assert_int_equal(netif_next_hop(addr("192.0.2.1"), NULL, TIMEOUT_MS, &nh), -EINVAL);
}

/* An empty neighbour table: the lookup itself must get the gateway resolved. */
static void test_resolve_after_flush(void **state)
{
	struct next_hop nh;
	char line[256];
	long long t0;

	assert_int_equal(ip("-n @A neigh flush all"), 0);
	ip_read(line, sizeof(line), "neigh show 192.0.2.2 dev emA0");
	assert_string_equal(line, "");

	t0 = now_ms();
	assert_int_equal(netif_next_hop(addr("198.18.0.1"), NULL, TIMEOUT_MS, &nh), 0);
	assert_true(now_ms() - t0 < TIMEOUT_MS);
	assert_memory_equal(nh.dst_mac, MAC_B0, 6);
	ip_read(line, sizeof(line), "neigh show 192.0.2.2 dev emA0");
	assert_non_null(strstr(line, "02:e3:00:00:b0:01"));
}

/* A gateway already in the neighbour table is answered from it, without waiting. */
static void test_gateway_known(void **state)
{
	struct next_hop nh;

	assert_int_equal(ip("-n @A neigh flush all"), 0);
	assert_int_equal(netif_next_hop(addr("198.18.1.1"), NULL, TIMEOUT_MS, &nh), 0);
	assert_memory_equal(nh.dst_mac, MAC_B1, 6);
	memset(&nh, 0, sizeof(nh));
	assert_int_equal(netif_next_hop(addr("198.18.1.1"), NULL, 0, &nh), 0);
	assert_memory_equal(nh.dst_mac, MAC_B1, 6);
}

/*
 * netif_gateway_mac: the gateway's MAC as the table has it now, a new one once the entry is
 * replaced, none while the entry is being resolved; never a lookup that resolves.
 */
static void test_gateway_mac(void **state)
{
	static const __u8 other[6] = { 0x02, 0, 0, 0, 0xe3, 0x98 };
	struct next_hop nh;
	__u8 mac[6] = { 0 };

	assert_int_equal(netif_next_hop(addr("198.18.1.1"), NULL, TIMEOUT_MS, &nh), 0);
	assert_false(nh.on_link);
	assert_int_equal(netif_gateway_mac(&nh, mac), 0);
	assert_memory_equal(mac, MAC_B1, 6);
	assert_int_equal(ip("-n @A neigh replace 192.0.2.10 lladdr 02:00:00:00:e3:98 dev emA1 "
			    "nud reachable"), 0);
	assert_int_equal(netif_gateway_mac(&nh, mac), 0);
	assert_memory_equal(mac, other, 6);
	assert_int_equal(ip("-n @A neigh flush all"), 0);
	assert_int_equal(netif_gateway_mac(&nh, mac), -ENOENT);
}

/* A gateway nobody answers ARP for: the lookup gives up at its timeout, not before. */
static void test_no_arp_reply(void **state)
{
	struct next_hop nh;
	long long t0;

	/* On-link: the next hop is the target itself, found without waiting for ARP. */
	assert_int_equal(netif_next_hop(addr("192.0.2.3"), NULL, 300, &nh), 0);
	assert_true(nh.on_link);
	assert_int_equal(ip("-n @A route add 198.18.2.0/24 via 192.0.2.3"), 0);
	t0 = now_ms();
	assert_int_equal(netif_next_hop(addr("198.18.2.1"), NULL, 300, &nh), -EHOSTUNREACH);
	assert_true(now_ms() - t0 >= 290);
	assert_true(now_ms() - t0 < 2000);
	assert_int_equal(ip("-n @A route del 198.18.2.0/24"), 0);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(s, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* A gateway whose entry FAILED must be solicited again, not waited on. */
static void test_retry_failed(void **state)
{
	struct next_hop nh;
	char line[256];

	/* One probe 50 ms apart: an unanswered entry fails at once instead of after 3 s. */
	write_file("/proc/sys/net/ipv4/neigh/emA1/retrans_time_ms", "50");
	write_file("/proc/sys/net/ipv4/neigh/emA1/mcast_solicit", "1");
	assert_int_equal(ip("-n @A route add 198.18.3.0/24 via 192.0.2.12"), 0);
	assert_int_equal(netif_next_hop(addr("198.18.3.1"), NULL, 200, &nh), -EHOSTUNREACH);
	usleep(200 * 1000);
	ip_read(line, sizeof(line), "neigh show 192.0.2.12 dev emA1");
	assert_non_null(strstr(line, "FAILED"));

	assert_int_equal(ip("-n @B addr add 192.0.2.12/29 dev emB1"), 0);
	assert_int_equal(netif_next_hop(addr("198.18.3.1"), NULL, TIMEOUT_MS, &nh), 0);
	assert_memory_equal(nh.dst_mac, MAC_B1, 6);
	assert_int_equal(ip("-n @A route del 198.18.3.0/24"), 0);
}

/*
 * How much netif_drops() of emD grows while n frames go from interface ifname of namespace ns
 * straight to its driver (as AF_XDP copy mode sends).
 */
static __u64 drops_while_sending(const char *ns, const char *ifname, int n)
{
	int emd = if_nametoindex("emD"), fd, one = 1;
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = 6 };
	__u8 frame[60] = { 0 };
	__u64 before = 0, after = 0;

	assert_int_equal(enter_ns(ns), 0);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)), 0);
	to.sll_ifindex = if_nametoindex(ifname);
	assert_int_equal(enter_ns(ns_a), 0);
	assert_int_equal(netif_drops(emd, &before), 0);
	for (int i = 0; i < n; i++)
		sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to));
	assert_int_equal(netif_drops(emd, &after), 0);
	close(fd);
	return after - before;
}

/*
 * Frames handed to a driver on a link without carrier are dropped and counted: by emD itself
 * when it sends, by its peer emBD (in B) when that one sends towards emD. Both are ours, exactly
 * these.
 */
static void test_drops(void **state)
{
	__u64 drops;

	assert_int_equal(ip("-n @A link set emD up"), 0); /* emBD is down: no carrier */
	assert_int_equal(drops_while_sending(ns_a, "emD", 5), 5);
	assert_int_equal(ip("-n @A link set emD down"), 0);
	assert_int_equal(ip("-n @B link set emBD up"), 0);
	assert_int_equal(drops_while_sending(ns_b, "emBD", 7), 7);
	assert_int_equal(ip("-n @B link set emBD down"), 0);
	assert_int_equal(netif_drops(1 << 30, &drops), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gateway),
		cmocka_unit_test(test_next_hop6),
		cmocka_unit_test(test_on_link),
		cmocka_unit_test(test_forced_gateway),
		cmocka_unit_test(test_forced_on_link),
		cmocka_unit_test(test_unknown_interface),
		cmocka_unit_test(test_ifindex),
		cmocka_unit_test(test_no_route),
		cmocka_unit_test(test_interface_down),
		cmocka_unit_test(test_local_address),
		cmocka_unit_test(test_resolve_after_flush),
		cmocka_unit_test(test_gateway_known),
		cmocka_unit_test(test_gateway_mac),
		cmocka_unit_test(test_no_arp_reply),
		cmocka_unit_test(test_retry_failed),
		cmocka_unit_test(test_drops),
	};

	const size_t n = sizeof(tests) / sizeof(tests[0]);
	const char *why = env_setup();

	if (why) {
		/* Plain TAP: cmocka 1.1.5 would print its skips as "not ok ... # SKIP". */
		printf("1..%zu\n", n);
		for (size_t i = 0; i < n; i++)
			printf("ok %zu - %s # SKIP %s\n", i + 1, tests[i].name, why);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
