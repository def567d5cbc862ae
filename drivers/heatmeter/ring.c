// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: the per-reader ring of readings (see cdev.h). No locking here:
 * the caller holds the meter's char device lock.
 */
#include <linux/minmax.h>
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
 * hm_ring_peek() - the next record for the reader, left in the ring
 * @ring: ring
 * @out: the oldest reading, or a HEATMETER_RD_DROPPED marker if readings
 *       were lost before it
 * @pos: where it was, for hm_ring_commit()
 *
 * The caller copies @out to the reader without the lock and then commits
 * it; a copy that fails commits nothing and loses nothing.
 *
 * Return: false if there is nothing to read.
 */
bool hm_ring_peek(const struct hm_ring *ring, struct heatmeter_reading *out,
		  u32 *pos)
{
	*pos = ring->tail;
	if (ring->dropped) {
		memset(out, 0, sizeof(*out));
		out->size = sizeof(*out);
		out->flags = HEATMETER_RD_DROPPED;
		out->dropped = ring->dropped;
		return true;
	}
	if (ring->head == ring->tail)
		return false;
	*out = ring->r[ring->tail % HM_RING_SIZE];
	return true;
}

/**
 * hm_ring_commit() - the reader has what hm_ring_peek() gave it
 * @ring: ring
 * @out: the record hm_ring_peek() returned
 * @pos: its position
 *
 * Pushes may have dropped readings in between: a marker takes back only
 * the drops it reported; a reading the writer dropped in the meantime was
 * delivered after all and is not counted as lost.
 */
void hm_ring_commit(struct hm_ring *ring, const struct heatmeter_reading *out,
		    u32 pos)
{
	if (out->flags & HEATMETER_RD_DROPPED) {
		ring->dropped -= min(ring->dropped, out->dropped);
		return;
	}
	if (ring->tail == pos)
		ring->tail++;
	else if (ring->dropped)
		ring->dropped--;
}

/**
 * hm_ring_pop() - take the next record (hm_ring_peek() + hm_ring_commit())
 * @ring: ring
 * @out: the record
 *
 * Return: false if there is nothing to read.
 */
bool hm_ring_pop(struct hm_ring *ring, struct heatmeter_reading *out)
{
	u32 pos;

	if (!hm_ring_peek(ring, out, &pos))
		return false;
	hm_ring_commit(ring, out, pos);
	return true;
}
