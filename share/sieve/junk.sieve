# Files what smtp-edge's content layer marked as junk into the Junk folder
# (Dovecot Pigeonhole; as a user's script, or a sieve_before script for
# every mailbox). smtp-edge writes "X-Postern-Spam: p=...; action=junk;
# reason=..." when the SCL is above the mailbox's junk threshold
# (posternSCLJunkThreshold, else content.scl.junk_threshold), and
# X-Postern-SCL with the level itself. The edge removes both fields when
# they come from outside, so a sender cannot set them.
require ["fileinto", "mailbox"];

if header :contains "X-Postern-Spam" "action=junk" {
	fileinto :create "Junk";
	stop;
}
