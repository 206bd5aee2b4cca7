#include "server/pidfile.h"

#include "base/file.h"

#include <stdio.h>
#include <unistd.h>

bool pidfile_write(const char *path, struct error *err)
{
	char line[32];
	int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	return file_write_atomic(path, line, (size_t)n, 0644, err);
}

void pidfile_remove(const char *path)
{
	unlink(path);
}
