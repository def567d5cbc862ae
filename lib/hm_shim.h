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
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT8_TYPE__ s8;
typedef __INT16_TYPE__ s16;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;

#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif
#endif

#define HM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define HM_S64_MAX ((s64)(~0ULL >> 1))

#endif /* HM_SHIM_H */
