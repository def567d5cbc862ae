/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hm_test_common.h - lib/ test logic shared by the userspace runner
 * (tests/lib/) and the KUnit suite (hm_lib_test.c).
 *
 * Every test is a function filling ctx->msg and returning 0 (pass) or -1.
 * The context is allocated by the caller (kunit_kzalloc in the kernel) so
 * kernel stack frames stay small.
 */
#ifndef HM_TEST_COMMON_H
#define HM_TEST_COMMON_H

#include "frame.h"
#include "reading.h"

#define HM_T_MSG 240

/* outcome of an M-Bus telegram */
enum {
	HM_T_DECODED = 0,
	HM_T_UNSUPPORTED,
	HM_T_REJECTED,
};

struct hm_tctx {
	char msg[HM_T_MSG];
	struct hm_framer fr;
	struct hm_reading rd;
	struct hm_identity id;
	u32 rng;
	/* frames seen by the last feed */
	unsigned int good;
	unsigned int bad;
	int first_bad;
	u8 got_type;
	unsigned int got_len;
	u8 got[HM_FRAME_MAX];
	u8 work[2 * HM_FRAME_MAX + 64];
	u8 flags[2 * HM_FRAME_MAX + 64];
	int outcome;
};

struct hm_t_case {
	const char *name;
	int (*fn)(struct hm_tctx *t);
};

unsigned int hm_t_cjt_count(void);
const char *hm_t_cjt_name(unsigned int i);
int hm_t_cjt_vector(struct hm_tctx *t, unsigned int i);

unsigned int hm_t_mbus_count(void);
const char *hm_t_mbus_name(unsigned int i);
/* sets t->outcome to HM_T_* */
int hm_t_mbus_vector(struct hm_tctx *t, unsigned int i);

/* split delivery: variant 0 byte by byte, 1-3 random chunks, 4 garbage */
#define HM_T_SPLIT_VARIANTS 5
unsigned int hm_t_split_count(void);
const char *hm_t_split_name(unsigned int i);
int hm_t_split(struct hm_tctx *t, unsigned int i, unsigned int variant);

/*
 * property test: @frames random 901F replies from seed @seed, encoded by
 * the test itself, decoded with no profile; *@redrawn counts the frames
 * drawn again (unit position not decidable, garbage valid by chance)
 */
int hm_t_cjt_property(struct hm_tctx *t, u32 seed, unsigned int frames,
		      unsigned int *redrawn);

/* hm_mbus_rules.c: one vector per EN 13757-3 record rule */
unsigned int hm_t_mrule_count(void);
const char *hm_t_mrule_name(unsigned int i);
int hm_t_mrule(struct hm_tctx *t, unsigned int i);
/* a RSP_UD (CI 72) with @medium in the header and @rec as its records */
int hm_t_mbus_frame(u8 *buf, size_t size, u8 medium, const u8 *rec,
		    unsigned int rlen);

/*
 * hm_mbus_prop.c: @n random well-formed RSP_UD frames from @seed against
 * an oracle of EN 13757-3; @ws is hm_t_mbus_prop_size() bytes of scratch.
 */
size_t hm_t_mbus_prop_size(void);
int hm_t_mbus_prop(struct hm_tctx *t, void *ws, u32 seed, unsigned long n);

extern const struct hm_t_case hm_t_cases[];
extern const unsigned int hm_t_ncases;

#endif /* HM_TEST_COMMON_H */
