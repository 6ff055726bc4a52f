/* The user's Maildir (Maildir++ folders) as owa-cas sees it: folders,
 * file names and flags, and an index per folder cached under the state
 * directory so that a page of a 100,000-message folder is read without
 * touching the 100,000 files: the index is checked against the mtimes of
 * cur/ and new/ and mapped; only a change rebuilds it, reusing what it
 * already knew of every file still there. */
#ifndef OWA_CAS_MAILDIR_H
#define OWA_CAS_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

#define MD_NAME_MAX 255
#define MD_FOLDER_MAX 100
#define MD_FOLDERS_MAX 200

/* Flags, one bit per Maildir letter. */
enum {
	MDF_DRAFT = 1, MDF_FLAGGED = 2, MDF_PASSED = 4, MDF_REPLIED = 8,
	MDF_SEEN = 16, MDF_TRASHED = 32,
};

/* Splits a file name "unique:2,FLAGS" (or "unique" in new/): *base_len is
 * the length of the unique part, *flags the known flag letters. Returns
 * 0, or -1 for a name owa-cas will not touch (empty, over MD_NAME_MAX,
 * a '/' or control character, starting with '.'). */
int md_name_parse(const char *name, size_t *base_len, unsigned *flags);
/* Writes base + ":2," + flags letters in order into out (reset first). */
void md_name_make(const char *base, size_t base_len, unsigned flags, struct strbuf *out);
/* A folder name from a URL: "" (the inbox) or a Maildir++ name of
 * letters, digits, blanks, '-', '_' and '.' separators, not starting or
 * ending with '.', no "..". Returns 0 or -1. */
int md_folder_ok(const char *folder);
/* The folder's directory: root for "", root/.NAME otherwise (appended). */
void md_folder_path(const char *root, const char *folder, struct strbuf *out);
/* Creates cur, new and tmp (and the folder) if missing. 0 or -1. */
int md_folder_create(const char *root, const char *folder);
/* The folder names under root (the inbox first as ""), sorted, at most
 * MD_FOLDERS_MAX. Returns the count; *names is freed with md_names_free. */
size_t md_folders(const char *root, char ***names);
void md_names_free(char **names, size_t n);

struct md_msg {
	int64_t date;		/* delivery time, Unix seconds */
	uint64_t size;
	unsigned flags;
	int in_new;		/* still in new/ */
	const char *name;	/* the file name, borrowed from the index */
	const char *from;	/* display name or address, UTF-8 */
	const char *subject;
};

struct md_index;

/* Opens the index of root/folder, rebuilding it in cache_path when cur/
 * or new/ changed since it was written. NULL (errno) when the folder
 * cannot be read. */
struct md_index *md_index_open(const char *root, const char *folder, const char *cache_path);
void md_index_close(struct md_index *x);
size_t md_index_count(const struct md_index *x);
size_t md_index_unseen(const struct md_index *x);
/* The i-th message, newest first. */
void md_index_get(const struct md_index *x, size_t i, struct md_msg *m);
/* The message whose unique part is base; returns its position or -1. */
long md_index_find(const struct md_index *x, const char *base);

/* The path of the message base in root/folder into out (via the index,
 * else a scan). 0, or -1 when it is gone. */
int md_msg_path(const char *root, const char *folder, const struct md_index *x,
		const char *base, struct strbuf *out);
/* Sets and clears flags of a message (renaming it into cur/). 0 or -1. */
int md_msg_flags(const char *root, const char *folder, const struct md_index *x,
		 const char *base, unsigned set, unsigned clear);
/* Moves a message to another folder (created if missing). 0 or -1. */
int md_msg_move(const char *root, const char *folder, const struct md_index *x,
		const char *base, const char *to);
/* Removes a message for good. 0 or -1. */
int md_msg_delete(const char *root, const char *folder, const struct md_index *x,
		  const char *base);
/* Delivers data into root/folder's cur/ with flags, the Maildir way
 * (tmp/, fsync, link into cur/). The new unique name into base. 0 or -1. */
int md_deliver(const char *root, const char *folder, const char *data, size_t len,
	       unsigned flags, struct strbuf *base);

#endif
