/*
 * afile.h - every file leads writes (export -O, import --rejects, funnel
 * --svg, the config from init) is all or nothing.
 *
 * afile_open() makes a temporary file beside the target with O_EXCL (so a
 * file or symlink planted under the temporary name is never followed or
 * reused), mode 0600, or the mode of the regular file it replaces. The
 * caller writes through f->fp. afile_commit() flushes, checks ferror(),
 * fsyncs, renames over the target and fsyncs the directory; any failure
 * removes the temporary file and returns EX_IOERR naming the path.
 *
 * A target that exists and is not a regular file (/dev/null, a FIFO, a
 * terminal, a socket) is written in place, never renamed over. A symlink
 * at the target is replaced by the new file, not followed: in a shared
 * directory a planted link must not make leads write elsewhere.
 */
#ifndef LEADS_AFILE_H
#define LEADS_AFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

struct afile {
	FILE *fp;
	char *path; /* the target */
	char *tmp;  /* the temporary file; NULL when written in place */
	int fd;
	int errnum; /* errno of the first failed write */
	bool synced;
	bool keep_tmp; /* a failed rename keeps the temporary file (named in the error) */
};

/* f must stay where it is until afile_commit() or afile_abort(). */
int afile_open(struct afile *f, const char *path, struct lerr *err);
/* Flush and fsync what was written; the target is not touched yet. */
int afile_sync(struct afile *f, struct lerr *err);
/* afile_sync(), then put the file in place. f is released either way. */
int afile_commit(struct afile *f, struct lerr *err);
/* Drop what was written (the temporary file is removed); f is released. */
void afile_abort(struct afile *f);
/* The whole of buf as the new contents of path. */
int afile_write(const char *path, const void *buf, size_t n, struct lerr *err);

/*
 * Make stdout write through the same kind of stream, so that a short
 * write (a full disk under `leads export > file`) can be reported with its
 * reason: afile_stdout_errno() is the errno of the first failed write, 0
 * if none. Call first thing in main().
 */
void afile_wrap_stdout(void);
int afile_stdout_errno(void);

#endif
