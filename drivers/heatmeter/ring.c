// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: the per-reader ring of readings (see cdev.h). No locking here:
 * the caller holds the meter's char device lock.
 */
#include <linux/string.h>

#include "cdev.h"

void hm_ring_init(struct hm_ring *ring)
{
	ring->head = 0;
	ring->tail = 0;
	ring->dropped = 0;
}

bool hm_ring_empty(const struct hm_ring *ring)
{
	return ring->head == ring->tail && !ring->dropped;
}

/**
 * hm_ring_push() - add a reading, dropping the oldest when full
 * @ring: ring
 * @rd: reading
 */
void hm_ring_push(struct hm_ring *ring, const struct heatmeter_reading *rd)
{
	if (ring->head - ring->tail == HM_RING_SIZE) {
		ring->tail++;
		if (ring->dropped < U32_MAX)
			ring->dropped++;
	}
	ring->r[ring->head % HM_RING_SIZE] = *rd;
	ring->head++;
}

/**
 * hm_ring_pop() - the next record for the reader
 * @ring: ring
 * @out: the oldest reading, or a HEATMETER_RD_DROPPED marker if readings
 *       were lost before it
 *
 * Return: false if there is nothing to read.
 */
bool hm_ring_pop(struct hm_ring *ring, struct heatmeter_reading *out)
{
	if (ring->dropped) {
		memset(out, 0, sizeof(*out));
		out->size = sizeof(*out);
		out->flags = HEATMETER_RD_DROPPED;
		out->dropped = ring->dropped;
		ring->dropped = 0;
		return true;
	}
	if (ring->head == ring->tail)
		return false;
	*out = ring->r[ring->tail % HM_RING_SIZE];
	ring->tail++;
	return true;
}
