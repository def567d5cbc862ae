// SPDX-License-Identifier: GPL-2.0
/*
 * hmecho: a loopback peer for VM tests. Opens a pty master, prints the
 * slave's path, then echoes every byte written to the slave back to it
 * until killed. Static, no dependencies: runs in the busybox initramfs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

int main(void)
{
	struct termios tio;
	char buf[512];
	int fd;

	fd = posix_openpt(O_RDWR | O_NOCTTY);
	if (fd < 0 || grantpt(fd) || unlockpt(fd)) {
		perror("hmecho: ptmx");
		return 1;
	}
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	printf("%s\n", ptsname(fd));
	fflush(stdout);

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf)), off = 0;

		if (n <= 0) {
			/* EIO while no slave is open: wait for the next one */
			usleep(10000);
			continue;
		}
		while (off < n) {
			ssize_t w = write(fd, buf + off, n - off);

			if (w <= 0)
				return 1;
			off += w;
		}
	}
}
