// Package detect finds the real type of a file from its bytes, and compares
// it with the type its name or MIME type claims. A file name cannot fool it:
// the name only picks between kinds the content cannot tell apart (CSV or
// plain text; a script written as plain text).
//
// Detection reads a bounded prefix and, for containers (zip, OLE2), a bounded
// number of directory entries. It imports nothing of mugai's.
package detect
