// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: one hwmon device per meter, for lm-sensors and node_exporter.
 *
 * Channels: temp1 (supply) and temp2 (return) in m°C, power1 in µW, energy1
 * in µJ, and the chip's update_interval in ms. A read has the semantics of
 * the meter's sysfs attributes: the newest reading if younger than
 * max_age_ms, else one bus read; -ENODATA for a quantity the meter does not
 * report, the read's errno for a silent or corrupt meter; -EOVERFLOW for a
 * value beyond what the attribute's type holds. hwmon has no flow or volume
 * type: those stay in the meter's own attributes.
 *
 * Parent: a platform device "heatmeter.N" of the meter's own, so that each
 * meter is a distinct chip: `sensors` names it heatmeter-isa-000N, and
 * node_exporter (whose chip label comes from the parent) gives each its own
 * series. The meter's class device as parent would do for node_exporter
 * but not for libsensors, which shows every such meter as
 * heatmeter-virtual-0.
 *
 * Energy: on 64-bit kernels hwmon_energy (a long) holds 2.56e12 mWh. On
 * 32-bit kernels a long holds 0.6 Wh: energy is shown through
 * hwmon_energy64 where the kernel has it (Kbuild tests the header), else
 * hidden.
 */
#include <linux/hwmon.h>
#include <linux/limits.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/pm_runtime.h>

#include "heatmeter.h"

#if IS_REACHABLE(CONFIG_HWMON)

/*
 * A chip costs a meter about 8.5 KiB (two devices, ~26 sysfs nodes):
 * a concentrator with thousands of meters, which nobody lists with
 * `sensors`, can go without (meters created afterwards).
 */
static bool hwmon = true;
module_param(hwmon, bool, 0644);
MODULE_PARM_DESC(hwmon, "give each new meter a hwmon chip (default Y)");

#if BITS_PER_LONG == 64
#define HM_HWMON_ENERGY	hwmon_energy
#elif defined(HM_HWMON_ENERGY64)
#define HM_HWMON_ENERGY	hwmon_energy64
#endif

static umode_t hm_hwmon_visible(const void *data,
				enum hwmon_sensor_types type, u32 attr,
				int channel)
{
	return 0444;
}

/*
 * *val = @v * @mul, or -EOVERFLOW beyond +-@max. @val is a long, or an s64
 * when @max is S64_MAX on a 32-bit kernel (hwmon_energy64).
 */
static int hm_hwmon_scale(s64 v, s64 mul, s64 max, long *val)
{
	s64 out;

	if (check_mul_overflow(v, mul, &out) || out > max || out < -max - 1)
		return -EOVERFLOW;
	if (max > LONG_MAX)
		*(s64 *)val = out;
	else
		*val = out;
	return 0;
}

static int hm_hwmon_read(struct device *dev, enum hwmon_sensor_types type,
			 u32 attr, int channel, long *val)
{
	struct hm_meter *m = dev_get_drvdata(dev);
	unsigned int q;
	s64 v;
	int ret;

	if (type == hwmon_chip) {
		/* how old a value may be: the bus's polling, or the cache's */
		*val = READ_ONCE(m->bus->poll_ms);
		if (!*val)
			*val = READ_ONCE(m->max_age_ms);
		return 0;
	}
	switch (type) {
	case hwmon_temp:
		q = channel ? HM_Q_RETURN_TEMP : HM_Q_SUPPLY_TEMP;
		break;
	case hwmon_power:
		q = HM_Q_POWER;
		break;
	default:
		q = HM_Q_ENERGY;
		break;
	}
	ret = hm_meter_value(m, q, &v);
	if (ret)
		return ret;
	switch (type) {
	case hwmon_temp:
		return hm_hwmon_scale(v, 1, LONG_MAX, val);
	case hwmon_power:				/* mW -> µW */
		return hm_hwmon_scale(v, 1000, LONG_MAX, val);
	default:					/* mWh -> µJ */
		/* 32-bit: hwmon_energy64 passes an s64 behind the long * */
		return hm_hwmon_scale(v, 3600000, BITS_PER_LONG == 64 ?
				      LONG_MAX : S64_MAX, val);
	}
}

static const char * const hm_hwmon_temp_labels[] = { "supply", "return" };

static int hm_hwmon_read_string(struct device *dev,
				enum hwmon_sensor_types type, u32 attr,
				int channel, const char **str)
{
	switch (type) {
	case hwmon_temp:
		*str = hm_hwmon_temp_labels[channel];
		return 0;
	case hwmon_power:
		*str = "heat power";
		return 0;
	default:
		*str = "heat energy";
		return 0;
	}
}

static const struct hwmon_ops hm_hwmon_ops = {
	.is_visible = hm_hwmon_visible,
	.read = hm_hwmon_read,
	.read_string = hm_hwmon_read_string,
};

/* not "* const": 6.1's hwmon_chip_info takes a non-const array */
static const struct hwmon_channel_info *hm_hwmon_info[] = {
	HWMON_CHANNEL_INFO(chip, HWMON_C_UPDATE_INTERVAL),
	HWMON_CHANNEL_INFO(temp, HWMON_T_INPUT | HWMON_T_LABEL,
			   HWMON_T_INPUT | HWMON_T_LABEL),
	HWMON_CHANNEL_INFO(power, HWMON_P_INPUT | HWMON_P_LABEL),
#ifdef HM_HWMON_ENERGY
#if BITS_PER_LONG == 64
	HWMON_CHANNEL_INFO(energy, HWMON_E_INPUT | HWMON_E_LABEL),
#else
	/* 6.12's hwmon_energy64 reads its label as a number: no label */
	HWMON_CHANNEL_INFO(energy64, HWMON_E_INPUT),
#endif
#endif
	NULL
};

static const struct hwmon_chip_info hm_hwmon_chip = {
	.ops = &hm_hwmon_ops,
	.info = hm_hwmon_info,
};

/**
 * hm_hwmon_add() - the meter's hwmon device (and its platform parent)
 * @m: the meter, added
 *
 * A failure is logged, not fatal: the meter works without hwmon.
 */
void hm_hwmon_add(struct hm_meter *m)
{
	struct platform_device *pdev;
	struct device *hw;
	int ret;

	if (!READ_ONCE(hwmon))
		return;
	/*
	 * As platform_device_register_simple(), without the power/ group
	 * and PM bookkeeping a parent of hwmon alone never uses (one less
	 * directory of attributes per meter)
	 */
	pdev = platform_device_alloc("heatmeter", m->id);
	if (!pdev) {
		dev_warn(&m->dev, "no hwmon parent: %pe\n", ERR_PTR(-ENOMEM));
		return;
	}
	device_set_pm_not_required(&pdev->dev);
	ret = platform_device_add(pdev);
	if (ret) {
		platform_device_put(pdev);
		dev_warn(&m->dev, "no hwmon parent: %pe\n", ERR_PTR(ret));
		return;
	}
	hw = hwmon_device_register_with_info(&pdev->dev, "heatmeter", m,
					     &hm_hwmon_chip, NULL);
	if (IS_ERR(hw)) {
		dev_warn(&m->dev, "no hwmon device: %pe\n", hw);
		platform_device_unregister(pdev);
		return;
	}
	/* no runtime PM either: its power/runtime_* files go */
	pm_runtime_no_callbacks(hw);
	m->hwmon_parent = pdev;
	m->hwmon = hw;
}

/**
 * hm_hwmon_del() - remove the meter's hwmon device (the meter is dead:
 *                  readers sleeping in it have returned -ENODEV)
 * @m: the meter
 */
void hm_hwmon_del(struct hm_meter *m)
{
	if (m->hwmon)
		hwmon_device_unregister(m->hwmon);
	if (m->hwmon_parent)
		platform_device_unregister(m->hwmon_parent);
	m->hwmon = NULL;
	m->hwmon_parent = NULL;
}

#else /* !CONFIG_HWMON */

void hm_hwmon_add(struct hm_meter *m)
{
}

void hm_hwmon_del(struct hm_meter *m)
{
}

#endif
