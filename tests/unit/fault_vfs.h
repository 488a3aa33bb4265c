#ifndef NW_TEST_FAULT_VFS_H
#define NW_TEST_FAULT_VFS_H
/*
 * A wrapping SQLite VFS for the fault-injection tests (test_faults,
 * test_sync_faults): SQLite's own plug-in point, registered as the default,
 * so the journal and the host store open through it unchanged. Every call
 * goes to the real VFS except that each write, sync and truncate first asks
 * the test's hook, which may answer with the SQLite error to return.
 * Header-only: each test is its own program.
 */
#include <sqlite3.h>

enum faultvfs_op { FAULTVFS_WRITE, FAULTVFS_SYNC, FAULTVFS_TRUNCATE };

/* SQLITE_OK lets the call through; anything else is returned instead.
 * tag is what the tag hook said when the file was opened (0 without one). */
typedef int (*faultvfs_fail_fn)(void *arg, int tag, enum faultvfs_op);
typedef int (*faultvfs_tag_fn)(void *arg, const char *name);

struct faultvfs {
	sqlite3_vfs vfs;	/* first: SQLite hands our methods this pointer */
	sqlite3_vfs *real;
	faultvfs_fail_fn inject;
	faultvfs_tag_fn tag;
	void *arg;
};

struct faultvfs_file {
	sqlite3_file base;
	struct faultvfs *fv;
	int tag;
	sqlite3_file *real;	/* the real VFS's file, right after this struct */
};

#define FVF(f) ((struct faultvfs_file *)(f))
#define FVF_REAL(f) (FVF(f)->real)
#define FVV(v) ((struct faultvfs *)(v))

static int
fvf_fail(sqlite3_file *f, enum faultvfs_op op)
{
	return FVF(f)->fv->inject ? FVF(f)->fv->inject(FVF(f)->fv->arg, FVF(f)->tag, op) : SQLITE_OK;
}

static int
fvf_close(sqlite3_file *f)
{
	return FVF_REAL(f)->pMethods->xClose(FVF_REAL(f));
}

static int
fvf_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return FVF_REAL(f)->pMethods->xRead(FVF_REAL(f), buf, n, off);
}

static int
fvf_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	int rc = fvf_fail(f, FAULTVFS_WRITE);

	return rc != SQLITE_OK ? rc : FVF_REAL(f)->pMethods->xWrite(FVF_REAL(f), buf, n, off);
}

static int
fvf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = fvf_fail(f, FAULTVFS_TRUNCATE);

	return rc != SQLITE_OK ? rc : FVF_REAL(f)->pMethods->xTruncate(FVF_REAL(f), size);
}

static int
fvf_sync(sqlite3_file *f, int flags)
{
	int rc = fvf_fail(f, FAULTVFS_SYNC);

	return rc != SQLITE_OK ? rc : FVF_REAL(f)->pMethods->xSync(FVF_REAL(f), flags);
}

static int
fvf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return FVF_REAL(f)->pMethods->xFileSize(FVF_REAL(f), size);
}

static int
fvf_lock(sqlite3_file *f, int l)
{
	return FVF_REAL(f)->pMethods->xLock(FVF_REAL(f), l);
}

static int
fvf_unlock(sqlite3_file *f, int l)
{
	return FVF_REAL(f)->pMethods->xUnlock(FVF_REAL(f), l);
}

static int
fvf_check_reserved(sqlite3_file *f, int *out)
{
	return FVF_REAL(f)->pMethods->xCheckReservedLock(FVF_REAL(f), out);
}

static int
fvf_file_control(sqlite3_file *f, int op, void *arg)
{
	return FVF_REAL(f)->pMethods->xFileControl(FVF_REAL(f), op, arg);
}

static int
fvf_sector_size(sqlite3_file *f)
{
	return FVF_REAL(f)->pMethods->xSectorSize(FVF_REAL(f));
}

static int
fvf_device_characteristics(sqlite3_file *f)
{
	return FVF_REAL(f)->pMethods->xDeviceCharacteristics(FVF_REAL(f));
}

static int
fvf_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return FVF_REAL(f)->pMethods->xShmMap(FVF_REAL(f), pg, pgsz, extend, pp);
}

static int
fvf_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return FVF_REAL(f)->pMethods->xShmLock(FVF_REAL(f), off, n, flags);
}

static void
fvf_shm_barrier(sqlite3_file *f)
{
	FVF_REAL(f)->pMethods->xShmBarrier(FVF_REAL(f));
}

static int
fvf_shm_unmap(sqlite3_file *f, int del)
{
	return FVF_REAL(f)->pMethods->xShmUnmap(FVF_REAL(f), del);
}

static int
fvf_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	return FVF_REAL(f)->pMethods->xFetch(FVF_REAL(f), off, amt, pp);
}

static int
fvf_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return FVF_REAL(f)->pMethods->xUnfetch(FVF_REAL(f), off, p);
}

static const sqlite3_io_methods fvf_methods = {
	3, fvf_close, fvf_read, fvf_write, fvf_truncate, fvf_sync, fvf_file_size,
	fvf_lock, fvf_unlock, fvf_check_reserved, fvf_file_control, fvf_sector_size,
	fvf_device_characteristics, fvf_shm_map, fvf_shm_lock, fvf_shm_barrier,
	fvf_shm_unmap, fvf_fetch, fvf_unfetch,
};

static int
fvv_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct faultvfs_file *ff = FVF(f);
	int rc;

	ff->fv = FVV(v);
	ff->tag = FVV(v)->tag ? FVV(v)->tag(FVV(v)->arg, name) : 0;
	ff->real = (sqlite3_file *)(ff + 1);
	ff->real->pMethods = NULL;
	rc = FVV(v)->real->xOpen(FVV(v)->real, name, ff->real, flags, out);
	/* SQLite calls xClose on a file whose pMethods is set, even after a
	 * failed open; mirror whatever the real VFS left. */
	ff->base.pMethods = ff->real->pMethods ? &fvf_methods : NULL;
	return rc;
}

static int
fvv_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	return FVV(v)->real->xDelete(FVV(v)->real, name, sync_dir);
}

static int
fvv_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	return FVV(v)->real->xAccess(FVV(v)->real, name, flags, out);
}

static int
fvv_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	return FVV(v)->real->xFullPathname(FVV(v)->real, name, n, out);
}

static void *
fvv_dlopen(sqlite3_vfs *v, const char *name)
{
	return FVV(v)->real->xDlOpen(FVV(v)->real, name);
}

static void
fvv_dlerror(sqlite3_vfs *v, int n, char *msg)
{
	FVV(v)->real->xDlError(FVV(v)->real, n, msg);
}

static void (*fvv_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	return FVV(v)->real->xDlSym(FVV(v)->real, h, sym);
}

static void
fvv_dlclose(sqlite3_vfs *v, void *h)
{
	FVV(v)->real->xDlClose(FVV(v)->real, h);
}

static int
fvv_randomness(sqlite3_vfs *v, int n, char *out)
{
	return FVV(v)->real->xRandomness(FVV(v)->real, n, out);
}

static int
fvv_sleep(sqlite3_vfs *v, int us)
{
	return FVV(v)->real->xSleep(FVV(v)->real, us);
}

static int
fvv_current_time(sqlite3_vfs *v, double *out)
{
	return FVV(v)->real->xCurrentTime(FVV(v)->real, out);
}

static int
fvv_get_last_error(sqlite3_vfs *v, int n, char *msg)
{
	return FVV(v)->real->xGetLastError(FVV(v)->real, n, msg);
}

static int
fvv_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	return FVV(v)->real->xCurrentTimeInt64(FVV(v)->real, out);
}

/* Registers the VFS as the default, once; later calls change the hooks.
 * Returns 0, or -1 if SQLite would not take it. */
static int
faultvfs_install(faultvfs_fail_fn inject, faultvfs_tag_fn tag, void *arg)
{
	static struct faultvfs fv;	/* SQLite keeps the pointer for good */

	fv.inject = inject;
	fv.tag = tag;
	fv.arg = arg;
	if (fv.real == NULL) {
		if ((fv.real = sqlite3_vfs_find(NULL)) == NULL)
			return -1;
		fv.vfs.iVersion = 2;
		fv.vfs.szOsFile = (int)sizeof(struct faultvfs_file) + fv.real->szOsFile;
		fv.vfs.mxPathname = fv.real->mxPathname;
		fv.vfs.zName = "nw-faulty";
		fv.vfs.xOpen = fvv_open;
		fv.vfs.xDelete = fvv_delete;
		fv.vfs.xAccess = fvv_access;
		fv.vfs.xFullPathname = fvv_full_pathname;
		fv.vfs.xDlOpen = fvv_dlopen;
		fv.vfs.xDlError = fvv_dlerror;
		fv.vfs.xDlSym = fvv_dlsym;
		fv.vfs.xDlClose = fvv_dlclose;
		fv.vfs.xRandomness = fvv_randomness;
		fv.vfs.xSleep = fvv_sleep;
		fv.vfs.xCurrentTime = fvv_current_time;
		fv.vfs.xGetLastError = fvv_get_last_error;
		fv.vfs.xCurrentTimeInt64 = fvv_current_time_int64;
		if (sqlite3_vfs_register(&fv.vfs, 1) != SQLITE_OK)
			return -1;
	}
	return sqlite3_vfs_find(NULL) == &fv.vfs ? 0 : -1;
}

#endif
