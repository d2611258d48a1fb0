/* Opening a serial port (or a pty) raw at 115200 8N1 with termios. */
#ifndef DEMO_SERIAL_PORT_H
#define DEMO_SERIAL_PORT_H

/* Returns a blocking file descriptor, or -1 with errno set. */
int serial_open(const char *path, long baud);

#endif
