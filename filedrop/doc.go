// Package filedrop is the watched-folder service of `mugai serve`: staff
// drop files downloaded on the Internet side into an inbox, and the
// sanitized copies appear in an outbox that the LGWAN side reads, each with
// a report (<name>.mugai.txt, Japanese by default; English or JSON on
// request). The originals go into the quarantine, like the relay's.
//
// # Pick-up
//
// Files are found by file system events (fsnotify) and by a rescan every
// Folder.Rescan, since events are lost on network shares and on overflow.
// A regular file is taken once it is complete, which means either
//
//   - its size and modification time have not changed for
//     Folder.StableTime, or
//   - its status-change time (ctime) is later than its modification time:
//     the last thing done to it was not a write. A file renamed into the
//     inbox (inotify IN_MOVED_TO; for example a browser renaming its
//     .crdownload, or `mv` from the same disk), or a copy that sets the
//     modification time at the end (cp -p, rsync, robocopy) is taken at
//     once; a writer still writing moves mtime and ctime together. A rename
//     within the same clock tick as the last write (a few milliseconds on
//     file systems with coarse timestamps) shows equal times and waits for
//     the stable time like any other file. fsnotify reports a rename into
//     the folder as a Create, like a new file, so the times decide.
//
// Hidden files, Office lock files (~$…) and partial downloads (.crdownload,
// .part, .partial, .download, .tmp) are left alone until renamed. A file
// that a writer still holds open and changes after it was taken is noticed
// (size or mtime differ after reading) and retried once stable.
//
// # Claiming
//
// A complete file is claimed with one rename into this process's claim
// folder <work>/<node>.<pid>/<claim ID>/input, after a sidecar
// (state.json) naming it was written. Several nodes may share an inbox and
// its work folder: only one rename of a file succeeds. Each process holds
// an advisory lock on <work>/<node>.<pid>.lock; at start it takes over the
// claim folders of its node whose lock is free (their process died) by
// renaming each claim directory into its own.
//
// # Processing and crash safety
//
// Each claim goes through keep (spool, quarantine Put, record the ID),
// judge (engine), place (output then report into the outbox, record the
// names), settle (quarantine outcome and event) and finish (remove the
// claim). Every step is recorded in the sidecar before the next, and each
// can be repeated after a kill: a Put interrupted before its ID was
// recorded is found again by the claim token in the item's Client field; an
// output linked into place before its name was recorded is found again by
// the inode of its temp file. The input leaves the work folder only after
// the original and the output are durable. An engine error, an unwritable
// or full outbox, or an unavailable quarantine leave the claim in place,
// log an error and retry with exponential backoff (Config.RetryMin …
// RetryMax); a claim whose input was deleted is finished from the kept
// original when there is one, and logged either way.
//
// # Safety
//
// Entries are examined with lstat and opened with O_NOFOLLOW|O_NONBLOCK;
// nothing is followed. Symbolic links, FIFOs, devices, sockets, files with
// more than one hard link and files over Folder.MaxInput are refused
// without being read: the outbox gets only a report (rules
// filedrop.symlink, filedrop.special, filedrop.hardlink, limit.size), the
// entry is moved to <work>/refused/ for an operator, and the audit log gets
// a "refused" event. Output names keep the Japanese name (NFC) through
// sanitize.OutputName; collisions get _2, _3…; temp files in the outbox
// start with ".mugai-" and readers on the LGWAN side should skip names
// starting with a dot.
//
// todo: claims of a node that never comes back are not taken over by
// other nodes (an operator moves <work>/<node>.<pid>/* back into the
// inbox); names that Windows cannot show in its code page are kept as they
// are.
package filedrop
