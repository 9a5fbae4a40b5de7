/* The history's SQLite VFS: the system's own (unix), with writes that
 * follow each other in a file gathered into one write call.
 *
 * SQLite writes every WAL frame with two calls (its 24-byte header, then
 * the page) and a checkpoint copies page after page with one call each:
 * a flood of 10,000 messages took 1,900 write calls for 8 MB, most of the
 * 2,000 the whole client may make (../shared/bench).  Here a frame's bytes
 * wait in memory until the frame that ends its transaction (a commit
 * frame: its header holds the database's size, SQLite's documented WAL
 * format), which writes the whole transaction at once before SQLite goes
 * on to publish it in the WAL index; pages a checkpoint copies to
 * consecutive places go out together, before the database is synced.
 * Anything else that could look at the file (a read, a sync, a size, a
 * truncation, a lock, a memory map, a file control, the close) writes
 * what waits first, so SQLite and other processes see the file as if
 * every write had gone straight through.  What changes is when a failed
 * write is reported: at the call that flushes, which for the WAL is the
 * commit, whose failure SQLite rolls back as it would the frame's. */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/vfs_batch.h"

/* The most held at once, written in one call: the unix VFS writes at most
 * 128 KiB - 1 bytes a call (and reports the rest as a full disk), so
 * holding more would save no call, only cost memory. */
#define BATCH_MAX ((size_t)124 << 10)
/* A WAL file starts with a 32-byte header; frames follow. */
#define WAL_HDR   32
#define FRAME_HDR 24

enum kind { PASS, WAL, DB };

struct bfile {
	sqlite3_file base;
	sqlite3_file *real; /* the unix VFS's file, right after this struct */
	enum kind kind;
	unsigned char *buf; /* BATCH_MAX bytes, from the first write held */
	size_t len;
	sqlite3_int64 off; /* where buf[0] goes */
	bool commit_page;  /* WAL: the next write is a commit frame's page */
};

static sqlite3_vfs batch_vfs;

static sqlite3_vfs *real_vfs(void)
{
	return batch_vfs.pAppData;
}

static int flush(struct bfile *f)
{
	int rc;

	if (!f->len)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
	/* Dropped either way: SQLite answers a failed write by rolling back
	 * or retrying from its own copy, never by trusting ours. */
	f->len = 0;
	f->commit_page = false;
	return rc;
}

static int b_close(sqlite3_file *file)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f), rc2 = f->real->pMethods->xClose(f->real);

	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int b_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, p, n, off);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int b_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	struct bfile *f = (struct bfile *)file;
	/* (taken before a flush to make room forgets it) */
	bool ends_commit = f->commit_page && n > FRAME_HDR;
	int rc;

	if (f->kind == PASS || n <= 0)
		return f->real->pMethods->xWrite(f->real, p, n, off);
	/* only a write that carries on where the held ones end joins them */
	if (f->len && (off != f->off + (sqlite3_int64)f->len || f->len + (size_t)n > BATCH_MAX))
		if ((rc = flush(f)) != SQLITE_OK)
			return rc;
	if ((size_t)n > BATCH_MAX)
		return f->real->pMethods->xWrite(f->real, p, n, off);
	if (!f->buf && !(f->buf = malloc(BATCH_MAX)))
		/* no room to hold it: written as SQLite asked */
		return f->real->pMethods->xWrite(f->real, p, n, off);
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, p, (size_t)n);
	f->len += (size_t)n;
	if (f->kind != WAL)
		return SQLITE_OK;
	/* a frame header: bytes 4-7 are the database's size in pages for a
	 * commit frame, 0 for the others */
	f->commit_page =
	    n == FRAME_HDR && off >= WAL_HDR && be32((const unsigned char *)p + 4) != 0;
	return ends_commit ? flush(f) : SQLITE_OK;
}

static int b_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int b_sync(sqlite3_file *file, int flags)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int b_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int b_lock(sqlite3_file *file, int lock)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, lock);
}

static int b_unlock(sqlite3_file *file, int lock)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, lock);
}

static int b_check_reserved(sqlite3_file *file, int *out)
{
	struct bfile *f = (struct bfile *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int b_file_control(sqlite3_file *file, int op, void *arg)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int b_sector_size(sqlite3_file *file)
{
	struct bfile *f = (struct bfile *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int b_device_characteristics(sqlite3_file *file)
{
	struct bfile *f = (struct bfile *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int b_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **p)
{
	struct bfile *f = (struct bfile *)file;

	return f->real->pMethods->xShmMap(f->real, page, size, extend, p);
}

/* The WAL index's locks and barriers order what other connections see:
 * the checkpoint's pages are in the file before they are told. */
static int b_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void b_shm_barrier(sqlite3_file *file)
{
	struct bfile *f = (struct bfile *)file;

	/* (no way to report a failure here: the next call that flushes
	 * cannot find it either, so SQLite's sync or commit will) */
	flush(f);
	f->real->pMethods->xShmBarrier(f->real);
}

static int b_shm_unmap(sqlite3_file *file, int del)
{
	struct bfile *f = (struct bfile *)file;

	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int b_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **p)
{
	struct bfile *f = (struct bfile *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, n, p);
}

static int b_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct bfile *f = (struct bfile *)file;

	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods batch_io = {
    .iVersion = 3,
    .xClose = b_close,
    .xRead = b_read,
    .xWrite = b_write,
    .xTruncate = b_truncate,
    .xSync = b_sync,
    .xFileSize = b_file_size,
    .xLock = b_lock,
    .xUnlock = b_unlock,
    .xCheckReservedLock = b_check_reserved,
    .xFileControl = b_file_control,
    .xSectorSize = b_sector_size,
    .xDeviceCharacteristics = b_device_characteristics,
    .xShmMap = b_shm_map,
    .xShmLock = b_shm_lock,
    .xShmBarrier = b_shm_barrier,
    .xShmUnmap = b_shm_unmap,
    .xFetch = b_fetch,
    .xUnfetch = b_unfetch,
};

static int b_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	struct bfile *f = (struct bfile *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = real_vfs()->xOpen(real_vfs(), name, f->real, flags, out_flags);
	/* A file the unix VFS set up is closed through us, even when its
	 * open failed: SQLite calls xClose whenever pMethods is set. */
	if (f->real->pMethods) {
		f->kind = flags & SQLITE_OPEN_WAL ? WAL : flags & SQLITE_OPEN_MAIN_DB ? DB : PASS;
		f->base.pMethods = &batch_io;
	}
	return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	return real_vfs()->xDelete(real_vfs(), name, sync);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs()->xAccess(real_vfs(), name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xFullPathname(real_vfs(), name, n, out);
}

static void *v_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs()->xDlOpen(real_vfs(), name);
}

static void v_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs()->xDlError(real_vfs(), n, out);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs()->xDlSym(real_vfs(), h, sym);
}

static void v_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs()->xDlClose(real_vfs(), h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xRandomness(real_vfs(), n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs()->xSleep(real_vfs(), us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs()->xCurrentTime(real_vfs(), out);
}

static int v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xGetLastError(real_vfs(), n, out);
}

static int v_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs()->xCurrentTimeInt64(real_vfs(), out);
}

static const char *registered;

static void setup(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	if (!real || real->iVersion < 2)
		return;
	batch_vfs = (sqlite3_vfs){
	    .iVersion = 2,
	    .szOsFile = (int)sizeof(struct bfile) + real->szOsFile,
	    .mxPathname = real->mxPathname,
	    .zName = "natter-batch",
	    .pAppData = real,
	    .xOpen = b_open,
	    .xDelete = v_delete,
	    .xAccess = v_access,
	    .xFullPathname = v_full_pathname,
	    .xDlOpen = v_dlopen,
	    .xDlError = v_dlerror,
	    .xDlSym = v_dlsym,
	    .xDlClose = v_dlclose,
	    .xRandomness = v_randomness,
	    .xSleep = v_sleep,
	    .xCurrentTime = v_current_time,
	    .xGetLastError = v_last_error,
	    .xCurrentTimeInt64 = v_current_time64,
	};
	if (sqlite3_vfs_register(&batch_vfs, 0) == SQLITE_OK)
		registered = batch_vfs.zName;
}

const char *vfs_batch_name(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, setup);
	return registered;
}
