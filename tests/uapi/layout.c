// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the size and every member offset of the uapi structs, and the
 * ioctl numbers, so the 64-bit and 32-bit layouts can be compared: they must
 * be identical (no compat ioctl layer). Also compiled as C90 and C++.
 */
#include <stddef.h>
#include <stdio.h>

#include <linux/heatmeter.h>

#define S(t) printf(#t " size %lu\n", (unsigned long)sizeof(struct t))
#define O(t, m) printf(#t "." #m " %lu\n", (unsigned long)offsetof(struct t, m))
#define I(c) printf(#c " 0x%08lx\n", (unsigned long)(c))

int main(void)
{
	S(heatmeter_time);
	S(heatmeter_timestamps);
	S(heatmeter_reading);
	O(heatmeter_reading, values);
	O(heatmeter_reading, meter_time);
	O(heatmeter_reading, seq);
	O(heatmeter_reading, ts);
	S(heatmeter_info);
	O(heatmeter_info, test_mode_expires);
	O(heatmeter_info, address);
	O(heatmeter_info, bus);
	S(heatmeter_test_mode);
	O(heatmeter_test_mode, expires);
	S(heatmeter_snapshot);
	O(heatmeter_snapshot, start);
	O(heatmeter_snapshot, stop);
	O(heatmeter_snapshot, d_energy);
	S(heatmeter_sync);
	O(heatmeter_sync, at);
	O(heatmeter_sync, reading);
	S(heatmeter_simulated_flow);
	S(heatmeter_raw);
	O(heatmeter_raw, data);
	O(heatmeter_raw, reply);
	I(HEATMETER_IOC_GET_INFO);
	I(HEATMETER_IOC_READ);
	I(HEATMETER_IOC_TEST_MODE);
	I(HEATMETER_IOC_START);
	I(HEATMETER_IOC_STOP);
	I(HEATMETER_IOC_SYNC);
	I(HEATMETER_IOC_SIMULATED_FLOW);
	I(HEATMETER_IOC_RAW);
	S(heatmeter_storage_read);
	O(heatmeter_storage_read, reading);
	I(HEATMETER_IOC_READ_STORAGE);
	return 0;
}
