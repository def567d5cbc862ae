/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-ins for what the kernel gives tests/kunit/hm_test_common.c */
#ifndef HM_TEST_USER_H
#define HM_TEST_USER_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif

#endif
