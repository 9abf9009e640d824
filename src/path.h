/* path.h - path names: XDG base directories, "~/", joining and splitting,
 * and making or removing directory trees.
 *
 * Functions returning char * return memory the caller frees; those returning
 * int return 0 on success and -errno on failure.
 */
#ifndef FLASHBAY_PATH_H
#define FLASHBAY_PATH_H

#include <sys/types.h>

/* $XDG_CONFIG_HOME etc. with their defaults under $HOME; "" if $HOME is unset. Caller frees. */
char *xdg_config_home(void);
char *xdg_state_home(void);
char *xdg_cache_home(void);
/* $XDG_RUNTIME_DIR, or NULL. Caller frees. */
char *xdg_runtime_dir(void);
/* Expand a leading "~/" with $HOME. Caller frees. */
char *expand_home(const char *path);
/* dir + "/" + name, or name itself if it is absolute. Caller frees. */
char *path_join(const char *dir, const char *name);
/* Directory part of path ("." if none). Caller frees. */
char *path_dirname(const char *path);
/* Pointer to the last component of path (inside path). */
const char *path_basename(const char *path);
/* mkdir -p with mode for every created directory. */
int mkdir_p(const char *path, mode_t mode);

/* name itself if it has a '/', else the first match on $PATH (unset or
 * empty: /usr/local/bin:/usr/bin:/bin), if it is an executable regular
 * file. Caller frees; NULL if none. */
char *path_which(const char *name);
/* rm -rf path (no links followed); 0 if it does not exist. */
int remove_tree(const char *path);

#endif
