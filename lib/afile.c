/*
 * afile.c - all-or-nothing output files (see afile.h).
 */
#define _GNU_SOURCE /* fopencookie: keep the errno of the first failed write */
#include "afile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The stream writes through these, so that the reason of the first failed
 * write (ENOSPC, EDQUOT, EIO) is kept for the message: stdio's own error
 * flag does not say why, and errno is long overwritten by the time the
 * caller checks.
 */
static ssize_t cookie_write(void *p, const char *buf, size_t n)
{
	struct afile *f = p;
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(f->fd, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!f->errnum)
				f->errnum = w < 0 ? errno : EIO;
			return -1;
		}
		off += (size_t)w;
	}
	return (ssize_t)n;
}

static int cookie_close(void *p)
{
	struct afile *f = p;
	int rc = close(f->fd);
	f->fd = -1;
	return rc;
}

static int wrap(struct afile *f, int fd)
{
	f->fd = fd;
	cookie_io_functions_t io = { .write = cookie_write, .close = cookie_close };
	f->fp = fopencookie(f, "w", io);
	return f->fp ? 0 : -1;
}

static void release(struct afile *f)
{
	free(f->path);
	free(f->tmp);
	f->path = f->tmp = NULL;
	f->fp = NULL;
}

static int io_fail(struct afile *f, struct lerr *err, const char *what, int e)
{
	return lerr_set(err, EX_IOERR, "cannot %s '%s': %s", what, f->path, strerror(e));
}

/* The directory part of path ("." for a bare name). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int afile_open(struct afile *f, const char *path, struct lerr *err)
{
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	struct stat st;
	bool exists = lstat(path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			int rc = io_fail(f, err, "write", EISDIR);
			release(f);
			return rc;
		}
		/* a device, FIFO or socket: written in place, never replaced */
		int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 || wrap(f, fd) != 0) {
			int e = errno, rc = io_fail(f, err, "write", e);
			if (fd >= 0)
				close(fd);
			release(f);
			return rc;
		}
		return 0;
	}
	char *dir = dir_of(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct sb t = SB_INIT;
	sb_addf(&t, "%s/.%s.XXXXXX", dir, base);
	free(dir);
	/* mkstemp: O_CREAT|O_EXCL, mode 0600; nothing planted is followed */
	int fd = mkstemp(t.buf);
	if (fd < 0) {
		int e = errno, rc = io_fail(f, err, "write", e);
		sb_free(&t);
		release(f);
		return rc;
	}
	f->tmp = sb_detach(&t);
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* a regular file being replaced keeps its mode */
	if (exists && S_ISREG(st.st_mode) && fchmod(fd, st.st_mode & 07777) != 0) {
		int e = errno;
		close(fd);
		afile_abort(f);
		return lerr_set(err, EX_IOERR, "cannot write '%s': %s", path, strerror(e));
	}
	if (wrap(f, fd) != 0) {
		int e = errno;
		close(fd);
		afile_abort(f);
		return lerr_set(err, EX_IOERR, "cannot write '%s': %s", path, strerror(e));
	}
	return 0;
}

int afile_sync(struct afile *f, struct lerr *err)
{
	if (f->synced)
		return 0;
	if (fflush(f->fp) != 0 || ferror(f->fp))
		return io_fail(f, err, "write", f->errnum ? f->errnum : EIO);
	/* devices and FIFOs cannot be synced, and need not be */
	if (fsync(f->fd) != 0 && (f->tmp || (errno != EINVAL && errno != ENOTSUP)))
		return io_fail(f, err, "write", errno);
	f->synced = true;
	return 0;
}

static void sync_dir(const char *path)
{
	char *dir = dir_of(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd); /* best effort: some file systems refuse */
		close(fd);
	}
	free(dir);
}

int afile_commit(struct afile *f, struct lerr *err)
{
	int rc = afile_sync(f, err);
	FILE *fp = f->fp;
	f->fp = NULL;
	if (fclose(fp) != 0 && !rc)
		rc = io_fail(f, err, "write", errno);
	if (!rc && f->tmp && rename(f->tmp, f->path) != 0) {
		int e = errno;
		if (f->keep_tmp) {
			rc = lerr_set(err, EX_IOERR, "cannot create '%s': %s; the data is in '%s'",
			              f->path, strerror(e), f->tmp);
			release(f);
			return rc;
		}
		rc = io_fail(f, err, "create", e);
	}
	if (rc && f->tmp)
		unlink(f->tmp);
	else if (f->tmp)
		sync_dir(f->path);
	release(f);
	return rc;
}

void afile_abort(struct afile *f)
{
	if (f->fp)
		fclose(f->fp);
	if (f->tmp)
		unlink(f->tmp);
	release(f);
}

int afile_write(const char *path, const void *buf, size_t n, struct lerr *err)
{
	struct afile f;
	int rc = afile_open(&f, path, err);
	if (rc)
		return rc;
	if (n && fwrite(buf, 1, n, f.fp) != n) {
		rc = io_fail(&f, err, "write", errno ? errno : EIO);
		afile_abort(&f);
		return rc;
	}
	return afile_commit(&f, err);
}

/* ---- standard output, with the reason of its first failed write ---- */

static struct afile out_file = { .fd = 1 };

static int stdout_close(void *p)
{
	(void)p; /* fd 1 stays open for whoever wrote to it after us */
	return 0;
}

void afile_wrap_stdout(void)
{
	cookie_io_functions_t io = { .write = cookie_write, .close = stdout_close };
	FILE *fp = fopencookie(&out_file, "w", io);
	if (!fp)
		return; /* stdout as it was: only the reason may be missing */
	setvbuf(fp, NULL, isatty(1) ? _IOLBF : _IOFBF, BUFSIZ);
	stdout = fp;
}

int afile_stdout_errno(void)
{
	return out_file.errnum;
}
