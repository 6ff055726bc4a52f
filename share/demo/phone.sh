#!/bin/sh
# The demo's phone: provisions a device through eas-policy with the test
# client eas-client (Provision with DeviceInformation, the temporary key,
# the acknowledgement, the final key) and syncs its folders. When the
# server asks for a remote wipe instead, it acknowledges it. Given
# eas-policy in place of eas-client (a build without the test tools), it
# speaks through curl, with eas-policy encode and decode for the WBXML.
# Usage: phone.sh EAS-CLIENT|EAS-POLICY URL USER:PASSWORD DEVICE-ID
set -eu
client=$1 url=$2 cred=$3 dev=$4
case ${client##*/} in
eas-policy)
	wd=$(mktemp -d "${TMPDIR:-/tmp}/phone.XXXXXX")
	trap 'rm -rf "$wd"' EXIT
	eas() { # [-k KEY] CMD < XML: like eas-client, status line then XML
		key=
		if [ "$1" = -k ]; then key=$2; shift 2; fi
		"$client" encode >"$wd/req"
		set -- -sS -u "$cred" -H "MS-ASProtocolVersion: 14.1" -H "User-Agent: postern-demo/1" \
			-H "Content-Type: application/vnd.ms-sync.wbxml" --data-binary "@$wd/req" \
			-o "$wd/reply" -w 'status=%{http_code}\n' \
			"$url/Microsoft-Server-ActiveSync?Cmd=$1&User=${cred%%:*}&DeviceId=$dev&DeviceType=Android"
		if [ -n "$key" ]; then set -- -H "X-MS-PolicyKey: $key" "$@"; fi
		: >"$wd/reply"
		curl "$@"
		[ ! -s "$wd/reply" ] || "$client" decode <"$wd/reply"
	}
	;;
*)
	eas() { "$client" -u "$url" -U "$cred" -d "$dev" -t Android "$@"; }
	;;
esac
out=$(eas -k 0 Provision <<XML
<?xml version="1.0" encoding="utf-8"?>
<Provision xmlns="Provision:" xmlns:settings="Settings:">
  <settings:DeviceInformation><settings:Set>
    <settings:Model>Demo Phone</settings:Model>
    <settings:FriendlyName>${cred%%:*}'s demo phone</settings:FriendlyName>
    <settings:OS>Android 14</settings:OS>
    <settings:UserAgent>postern-demo/1</settings:UserAgent>
  </settings:Set></settings:DeviceInformation>
  <Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies>
</Provision>
XML
)
if printf '%s\n' "$out" | grep -q '<RemoteWipe'; then
	echo "phone: the server asks for a remote wipe; wiping and acknowledging"
	eas Provision <<-XML | grep '<Status>'
	<Provision xmlns="Provision:"><RemoteWipe><Status>1</Status></RemoteWipe></Provision>
	XML
	echo "phone: wiped"
	exit 0
fi
printf '%s\n' "$out" | grep -q '^status=200' || { printf '%s\n' "$out"; exit 1; }
tmp=$(printf '%s\n' "$out" | sed -n 's/.*<PolicyKey>\([0-9]*\)<.*/\1/p')
[ -n "$tmp" ] || { printf '%s\n' "$out"; exit 1; }
echo "phone: policy received (temporary key $tmp):"
printf '%s\n' "$out" | sed -n 's/^ *<\(DevicePasswordEnabled\|MinDevicePasswordLength\|MaxDevicePasswordFailedAttempts\|MaxInactivityTimeDeviceLock\|AlphanumericDevicePasswordRequired\)>\([^<]*\)<.*/  \1 = \2/p'
key=$(eas -k "$tmp" Provision <<XML | sed -n 's/.*<PolicyKey>\([0-9]*\)<.*/\1/p'
<Provision xmlns="Provision:"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>$tmp</PolicyKey><Status>1</Status></Policy></Policies></Provision>
XML
)
[ -n "$key" ] || { echo "phone: no final key" >&2; exit 1; }
echo "phone: provisioned, policy key $key"
eas -k "$key" FolderSync <<XML | grep -q '<Status>1</Status>' || { echo "phone: FolderSync failed" >&2; exit 1; }
<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>
XML
echo "phone: FolderSync through eas-policy to the backend: ok"
