#define _POSIX_C_SOURCE 200809L
#include "serial_port.h"

#include <errno.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

static speed_t speed_of(long baud) {
  switch (baud) {
  case 9600: return B9600;
  case 19200: return B19200;
  case 38400: return B38400;
  case 57600: return B57600;
  default: return B115200;
  }
}

int serial_open(const char *path, long baud) {
  struct termios t;
  int fd = open(path, O_RDWR | O_NOCTTY);
  if (fd < 0) return -1;
  if (tcgetattr(fd, &t) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  /* Raw: no line discipline, no echo, no flow control, no translation, 8N1. */
  t.c_iflag &= (tcflag_t) ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY);
  t.c_oflag &= (tcflag_t)~OPOST;
  t.c_lflag &= (tcflag_t) ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  t.c_cflag &= (tcflag_t) ~(CSIZE | PARENB | CSTOPB);
  t.c_cflag |= (tcflag_t)(CS8 | CREAD | CLOCAL);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  cfsetispeed(&t, speed_of(baud));
  cfsetospeed(&t, speed_of(baud));
  if (tcsetattr(fd, TCSANOW, &t) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  tcflush(fd, TCIOFLUSH);
  return fd;
}
