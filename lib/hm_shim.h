/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hm_shim.h - the only environment lib/ depends on.
 *
 * lib/ is built unchanged into the kernel module and into userspace (tests,
 * fuzzers, heatmeterctl). This header maps the few types and helpers it uses
 * onto each world.
 */
#ifndef HM_SHIM_H
#define HM_SHIM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#else
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif
#endif

#define HM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define HM_S64_MAX ((s64)(~0ULL >> 1))

#endif /* HM_SHIM_H */
