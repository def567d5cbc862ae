/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hm_err.h - error codes of lib/.
 *
 * Every lib/ function that can fail returns 0 (or a length) on success and a
 * negative HM_E* code on failure. The driver maps them to errno values, the
 * CLI prints hm_strerror().
 */
#ifndef HM_ERR_H
#define HM_ERR_H

enum hm_err {
	HM_OK = 0,
	HM_EINVAL,		/* bad argument from the caller */
	HM_ENOSPC,		/* output buffer too small */
	HM_EBADCS,		/* checksum mismatch */
	HM_EPARITY,		/* a byte of the frame had a parity error */
	HM_EFRAMING,		/* a byte of the frame had a framing error */
	HM_EOVERRUN,		/* UART overrun inside the frame */
	HM_EBREAK,		/* break condition inside the frame */
	HM_ETRUNC,		/* frame or record ends early / timed out */
	HM_ELENGTH,		/* length field inconsistent or out of limits */
	HM_ESTOP,		/* stop byte is not 0x16 */
	HM_EFORMAT,		/* malformed content */
	HM_EBCD,		/* invalid BCD digit in a value */
	HM_EOVERFLOW,		/* value does not fit in 64 bits */
	HM_EUNSUPPORTED,	/* valid but not supported frame/record kind */
	HM_ETOOMANY,		/* too many DIFE/VIFE/records */
	HM_EMETERERR,		/* the meter answered with an error (C1, CI 70) */
	HM_EALARM,		/* M-Bus alarm status frame (CI 71) */
	HM_EBUSY,		/* M-Bus application busy */
	HM_EUNIT,		/* unknown or unexpected unit code */
	HM_ENOENT,		/* no such profile / layout */
	HM_EPROTO,		/* wrong direction / unexpected frame type */
	HM_ENOTSUPP,		/* profile has no such command */
	HM_ERR_COUNT
};

/**
 * hm_strerror() - human-readable reason for an HM_E* code
 * @err: a code, negative (as returned) or positive
 *
 * Return: a static string, never NULL.
 */
const char *hm_strerror(int err);

#endif /* HM_ERR_H */
