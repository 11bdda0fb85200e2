/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file_sd files of a --config file, watched with inotify by a thread of its own: a file
 * whose name matches one of the patterns written, moved in or out or deleted requests a reload
 * (reload_requested, as SIGHUP does), which the watch loop carries out between rounds. The
 * folders are watched, not the files, so that a file replaced by rename (as tools write them)
 * or created later is seen.
 */
#ifndef ECHOMAP_CONF_FILE_WATCH_H
#define ECHOMAP_CONF_FILE_WATCH_H

struct file_watch;

/*
 * Starts watching the folders of patterns[0..n) (n may be 0: nothing to watch, *fw NULL).
 * 0, or a negative errno after one pr_warn line. Call with signals blocked.
 */
int file_watch_start(struct file_watch **fw, char *const *patterns, unsigned int n);
void file_watch_stop(struct file_watch *fw);

#endif
