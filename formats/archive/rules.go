package archive

import "github.com/mugai-project/mugai/sanitize"

// Rule IDs this package emits; each is listed in sanitize.RuleTable.
const (
	RuleEncrypted = "archive.encrypted" // encrypted entries or headers: the original stays in quarantine
	RuleStructure = "archive.structure" // the directory, local headers or end records disagree
	RuleOverlap   = "archive.overlap"   // entries share bytes (the overlapping-entry zip bomb)
	RuleBomb      = "archive.bomb"      // declared or actual expansion over the ratio limit
	RuleQuine     = "archive.quine"     // the archive contains itself
	RulePath      = "archive.path"      // absolute path, drive letter, "..", control characters
	RuleDuplicate = "archive.duplicate" // two entries extract to the same name
	RuleLink      = "archive.link"      // symbolic or hard links, devices, FIFOs, sockets
	RuleEntry     = "archive.entry"     // an entry type that cannot be carried (sparse file, label, …)
	RuleName      = "archive.name"      // names that cannot be decoded, or a Unicode path field that disagrees
	RuleCharset   = "archive.charset"   // CP932 or EUC-JP names decoded to UTF-8
	RuleMethod    = "archive.method"    // a compression method this package does not read: member removed
	RuleMember    = "archive.member"    // a member was removed and replaced by <name>.removed.txt
	RuleKind      = "archive.kind"      // the archive was written in another format (7z/LZH → zip)
)

func block(rule, where, detail string) sanitize.Finding {
	return sanitize.Finding{Rule: rule, Where: where, Action: sanitize.Blocked, Detail: detail}
}
