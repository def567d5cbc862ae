// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: heat meters on a serial line (CJ/T 188-2004, EN 13757 M-Bus).
 *
 * Module entry points: the bus class, then the line discipline.
 */
#include <linux/module.h>

#include "heatmeter.h"
#include "cdev.h"

static int __init heatmeter_init(void)
{
	int ret;

	ret = hm_bus_class_init();
	if (ret)
		return ret;

	ret = hm_cdev_init();
	if (ret) {
		hm_bus_class_exit();
		return ret;
	}
	ret = hm_ldisc_init();
	if (ret) {
		hm_cdev_exit();
		hm_bus_class_exit();
		return ret;
	}
	return 0;
}

static void __exit heatmeter_exit(void)
{
	hm_ldisc_exit();
	hm_cdev_exit();
	hm_bus_class_exit();
}

module_init(heatmeter_init);
module_exit(heatmeter_exit);

MODULE_DESCRIPTION("Heat meters on a serial line: CJ/T 188 and M-Bus line discipline");
MODULE_AUTHOR("heatmeter developers");
MODULE_LICENSE("GPL");
