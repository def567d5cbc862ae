// SPDX-License-Identifier: GPL-2.0
/*
 * Modbus TCP load for the heatmeterd benchmark (libmodbus, the library
 * mbpoll uses): CLIENTS processes, each on its own connection, read the 16
 * Annex B registers of heating system (client % systems) + 1, back to back,
 * for SECONDS. Prints requests/s per client and in total.
 * mbload HOST PORT CLIENTS SECONDS SYSTEMS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <modbus.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void client(const char *host, int port, int sys, double until, int wfd)
{
	uint16_t r[16];
	long n[2] = { 0, 0 };	/* answered, failed */
	modbus_t *c = modbus_new_tcp(host, port);

	if (!c || modbus_connect(c)) {
		n[1] = -1;
	} else {
		modbus_set_slave(c, 1);
		while (now() < until) {
			if (modbus_read_registers(c, (sys - 1) * 500 + 100, 16, r) == 16)
				n[0]++;
			else
				n[1]++;
		}
		modbus_close(c);
	}
	if (c)
		modbus_free(c);
	if (write(wfd, n, sizeof(n)) != sizeof(n))
		_exit(1);
	_exit(0);
}

int main(int argc, char **argv)
{
	int k, port, clients, systems, fd[2];
	double secs, t0;
	long total = 0, fails = 0, n[64][2];

	if (argc < 6)
		return 2;
	port = atoi(argv[2]);
	clients = atoi(argv[3]);
	secs = atof(argv[4]);
	systems = atoi(argv[5]);
	if (clients < 1 || clients > 64 || systems < 1 || pipe(fd))
		return 2;
	t0 = now() + 0.2;	/* everyone connects first, then the clock runs */
	for (k = 0; k < clients; k++)
		if (!fork()) {
			close(fd[0]);
			while (now() < t0)
				usleep(1000);
			client(argv[1], port, k % systems + 1, t0 + secs, fd[1]);
		}
	close(fd[1]);
	for (k = 0; k < clients; k++) {
		if (read(fd[0], n[k], sizeof(n[k])) != sizeof(n[k]))
			n[k][0] = n[k][1] = -1;
		total += n[k][0] > 0 ? n[k][0] : 0;
		fails += n[k][1] > 0 ? n[k][1] : 0;
	}
	while (wait(NULL) > 0)
		;
	printf("  modbus, %d clients at once (libmodbus, one process each, 16 registers of its own system, %.0f s): %.0f requests/s%s\n",
	       clients, secs, total / secs, fails ? " (some failed)" : "");
	for (k = 0; k < clients; k++)
		printf("  modbus, client %d (system %d): %.0f requests/s%s\n", k + 1, k % systems + 1,
		       n[k][0] > 0 ? n[k][0] / secs : 0.0, n[k][1] ? " (errors)" : "");
	return fails ? 1 : 0;
}
