// SPDX-License-Identifier: GPL-2.0
/* Skeleton lifecycle of the probe generator, and its runs in live-frames mode. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "echomap_abi.h"
#include "kernel/generator.h"
#include "kernel/xdp_features.h"
#include "lib/bpf_map.h"
#include "lib/log.h"

#include "echomap.skel.h"
#include "generator.skel.h"

#define FRAME_MAX 2048

struct generator {
	struct generator_bpf *skel;
	int prog_fd;
	int run_fd; /* what a run runs: the matcher (entry) or the generator itself */
	int ifindex;
	__u64 marker; /* the matcher's gen_marker and our slot */
	/* What every page of a run starts from: the marker as metadata, then the template. */
	__u8 in[EM_GEN_META_LEN + EM_GEN_TRACE_ROOM + FRAME_MAX];
	__u8 *frame;
	size_t frame_len, meta_len;
	size_t room; /* a trace's: EM_GEN_TRACE_ROOM before the frame */
	bool trace;
	volatile struct em_gen_walk *walks; /* walk mode: mmap of gen_walk, one per CPU */
	size_t walks_len;
	int ncpu;
};

/* Live frames came with Linux 5.18; older kernels refuse the flag with a bare EINVAL. */
static bool kernel_too_old(char *release, size_t len)
{
	struct utsname u;
	unsigned int major, minor;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	snprintf(release, len, "%s", u.release);
	return major < 5 || (major == 5 && minor < 18);
}

int gen_run(struct generator *g, __u32 repeat, __u32 batch, __u32 queue)
{
	struct xdp_md md = {
		.data = g->meta_len,
		.data_end = g->meta_len + g->room + g->frame_len,
		.ingress_ifindex = g->ifindex,
		.rx_queue_index = queue,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = g->in,
		    .data_size_in = g->meta_len + g->room + g->frame_len,
		    .ctx_in = &md, .ctx_size_in = sizeof(md), .repeat = repeat,
		    .batch_size = batch, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	return bpf_prog_test_run_opts(g->run_fd, &opts) ? -errno : 0;
}

/*
 * What the kernel and the driver must offer, checked without sending anything: a live run of
 * the program while it has nothing to send (it drops), and the driver's ndo_xdp_xmit, which
 * XDP_TX of a live frame goes through.
 */
static int check_support(struct generator *g, const struct gen_opts *o, bool quiet_fail)
{
	enum log_level lvl = quiet_fail ? LOG_INFO : LOG_WARN;
	char release[65] = "";
	__u64 feat;
	int err;

	if (kernel_too_old(release, sizeof(release))) {
		log_msg(lvl, "xdp-live engine needs Linux >= 5.18 (XDP live frames); this is %s\n",
			release);
		return -EOPNOTSUPP;
	}
	err = gen_run(g, 1, 1, 0);
	if (err) {
		log_msg(lvl,
			"xdp-live engine cannot run on %s: BPF_PROG_RUN in live-frames mode "
			"refused: %s (the driver needs XDP support)\n",
			o->ifname, strerror(-err));
		return err;
	}
	err = xdp_features(o->ifindex, &feat);
	if (err) {
		/*
		 * Before Linux 6.3 drivers do not say, and frames a driver cannot take vanish
		 * without an error: auto does not gamble on it; asked for by name, it runs
		 * with a warning.
		 */
		log_msg(quiet_fail ? LOG_INFO : LOG_WARN,
			"cannot tell whether the driver of %s transmits XDP frames (%s; Linux >= 6.3 "
			"says): if it does not, no probe leaves (a veth needs an XDP program or GRO "
			"on its peer)\n",
			o->ifname, strerror(-err));
		return quiet_fail ? -EOPNOTSUPP : 0;
	}
	if (!(feat & XDP_FEAT_NDO_XMIT)) {
		log_msg(lvl,
			"xdp-live engine cannot send on %s: its driver does not transmit XDP "
			"frames (no ndo_xdp_xmit; a veth needs an XDP program or GRO on its peer)\n",
			o->ifname);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int fill_intervals(struct generator *g, const struct target_set *ts)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	struct em_gen_iv *iv = calloc(ts->n_iv, sizeof(*iv));
	__u32 *keys = calloc(ts->n_iv, sizeof(*keys)), n = ts->n_iv;
	int err = 0;

	if (!iv || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 i = 0; i < n; i++) {
		keys[i] = i;
		iv[i].first = ts->before[i];
		iv[i].lo = ts->iv[i].lo;
		iv[i].hi = ts->iv[i].hi;
	}
	if (bpf_map_update_batch(bpf_map__fd(g->skel->maps.gen_iv), keys, iv, &n, &bopts))
		err = -errno;
out:
	if (err)
		pr_warn("cannot fill the generator's intervals: %s\n", strerror(-err));
	free(keys);
	free(iv);
	return err;
}

/* Runs go through the matcher, which hands them on by tail call. quiet: the caller has more. */
static int enter_through(struct generator *g, const struct matcher *m, bool quiet)
{
	__u32 key = g->marker & (EM_GEN_SLOTS - 1);

	if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.gen_prog), &key, &g->prog_fd, BPF_ANY)) {
		int err = -errno;

		log_msg(quiet ? LOG_INFO : LOG_WARN, "cannot hand the generator to the matcher: %s\n",
			strerror(-err));
		return err;
	}
	g->run_fd = matcher_entry_fd(m);
	return 0;
}

/* Opens and loads the generator. */
static int load(struct generator *g, const struct gen_opts *o)
{
	struct em_gen_config *c;
	struct bpf_program *prog;
	__u8 ip[EM_IP_LEN];
	int err;

	g->skel = generator_bpf__open();
	if (!g->skel) {
		err = -errno;
		pr_warn("cannot open the generator's BPF object: %s\n", strerror(-err));
		return err;
	}
	c = &g->skel->rodata->cfg;
	c->key[0] = o->key[0];
	c->key[1] = o->key[1];
	memcpy(c->head, g->frame, sizeof(c->head));
	c->saddr = o->tmpl.saddr;
	c->n_saddr = o->tmpl.n_saddr;
	/*
	 * The template's header has id, checksum and daddr zero: its sum less the source (which
	 * may change per probe) is the constant part.
	 */
	memcpy(ip, g->frame + EM_ETH_LEN, sizeof(ip));
	memset(ip + 12, 0, 4);
	c->ip_sum = ~inet_csum(ip, sizeof(ip)) & 0xffff;
	c->list_mode = !o->ts;
	c->flows = o->flows ?: 1;
	c->min_ttl = o->min_ttl;
	c->n_ttl = o->n_ttl ?: 1;
	c->n_iv = o->ts ? o->ts->n_iv : 0;
	bpf_map__set_max_entries(g->skel->maps.gen_iv, c->n_iv ?: 1);
	bpf_map__set_max_entries(g->skel->maps.gen_walk, g->ncpu);
	prog = g->trace ? g->skel->progs.echomap_gen_trace : g->skel->progs.echomap_gen;
	bpf_program__set_autoload(g->skel->progs.echomap_gen, !g->trace);
	bpf_program__set_autoload(g->skel->progs.echomap_gen_trace, g->trace);
	err = generator_bpf__load(g->skel);
	if (err) {
		pr_warn("cannot load the generator: %s\n", strerror(-err));
		return err;
	}
	g->prog_fd = bpf_program__fd(prog);
	g->run_fd = g->prog_fd;
	return 0;
}

/*
 * Where the matcher is a component of libxdp's dispatcher (an extension program), kernels
 * refuse the tail call into the generator: Linux 6.1's stable updates take no extension program
 * into a prog array and no program of another hook into an extension's. The runs then go to the
 * generator directly, each paying for a change of the kernel's dispatcher.
 */
static int enter(struct generator *g, const struct gen_opts *o)
{
	bool shared = matcher_shared(o->entry);
	int err = load(g, o);

	if (err)
		return err;
	err = enter_through(g, o->entry, shared);
	if (!err || !shared)
		return err;
	pr_info("the generator cannot be entered through libxdp's dispatcher: each run costs a "
		"change of the kernel's XDP dispatcher\n");
	return 0;
}

static int map_walks(struct generator *g)
{
	g->walks = bpf_map_mmap(bpf_map__fd(g->skel->maps.gen_walk),
				(size_t)g->ncpu * sizeof(struct em_gen_walk), PROT_READ | PROT_WRITE,
				&g->walks_len, "the generator's walks");
	return g->walks ? 0 : -errno;
}

int gen_open(struct generator **gp, const struct gen_opts *o, bool quiet_fail)
{
	struct generator *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return -ENOMEM;
	g->ifindex = o->ifindex;
	g->ncpu = libbpf_num_possible_cpus();
	g->meta_len = o->entry ? EM_GEN_META_LEN : 0;
	g->marker = o->marker | o->slot;
	memcpy(g->in, &g->marker, g->meta_len);
	/* A template with a flow checksum and no TTL of its own is a trace's. */
	g->trace = o->tmpl.fixed_csum && !o->tmpl.ttl;
	g->room = g->trace ? EM_GEN_TRACE_ROOM : 0;
	g->frame = g->in + g->meta_len + g->room;
	g->frame_len = frame_build_template(g->frame, FRAME_MAX, &o->tmpl);
	if (g->ncpu <= 0 || !g->frame_len) {
		free(g);
		return -EINVAL;
	}
	err = o->entry ? enter(g, o) : load(g, o);
	if (err)
		goto fail;
	err = map_walks(g);
	if (!err && o->ts)
		err = fill_intervals(g, o->ts);
	if (!err && o->ifindex)
		err = check_support(g, o, quiet_fail);
	if (err)
		goto fail;
	*gp = g;
	return 0;
fail:
	gen_close(g);
	return err;
}

volatile struct em_gen_walk *gen_walk(struct generator *g, int cpu)
{
	return &g->walks[cpu];
}

void gen_set_walk(struct generator *g, int cpu, const struct permutation *pm, __u32 probes)
{
	volatile struct em_gen_walk *w = &g->walks[cpu];

	w->p = pm->p;
	w->g = pm->g;
	w->cur = pm->cur;
	w->n = pm->n;
	w->probes = probes;
	w->rounds_left = 0;
	w->sent = 0;
	w->left = pm->left;
}

void gen_set_list(struct generator *g, const struct em_gen_probe *p, unsigned int n)
{
	struct generator_bpf__bss *bss = g->skel->bss;

	memcpy(bss->gen_list, p, n * sizeof(*p));
	bss->gen_list_len = n;
	bss->gen_list_pos = 0;
}

int gen_send_list(struct generator *g, const struct em_gen_probe *p, unsigned int n)
{
	if (n > EM_GEN_LIST_MAX)
		return -EINVAL;
	gen_set_list(g, p, n);
	return gen_run(g, n, n, 0);
}

int gen_prog_fd(const struct generator *g)
{
	return g->prog_fd;
}

const void *gen_template(const struct generator *g, __u32 *len)
{
	*len = g->room + g->frame_len;
	return g->in + g->meta_len;
}

void gen_close(struct generator *g)
{
	if (!g)
		return;
	if (g->walks)
		munmap((void *)g->walks, g->walks_len);
	generator_bpf__destroy(g->skel);
	free(g);
}
