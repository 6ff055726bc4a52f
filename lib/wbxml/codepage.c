/* The ActiveSync code pages, from the tables of MS-ASWBXML 2.1.2.1.1 to
 * 2.1.2.1.26. Each page lists its tags from token 0x05 up; NULL marks a
 * token the page does not define (withdrawn ones included). */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "wbxml/codepage.h"

#define FIRST 0x05
#define LAST 0x3f

static const char *const airsync[] = {	/* 0 */
	"Sync", "Responses", "Add", "Change", "Delete", "Fetch", "SyncKey", "ClientId",
	"ServerId", "Status", "Collection", "Class", NULL, "CollectionId", "GetChanges",
	"MoreAvailable", "WindowSize", "Commands", "Options", "FilterType", "Truncation",
	NULL, "Conflict", "Collections", "ApplicationData", "DeletesAsMoves", NULL,
	"Supported", "SoftDelete", "MIMESupport", "MIMETruncation", "Wait", "Limit",
	"Partial", "ConversationMode", "MaxItems", "HeartbeatInterval", NULL
};
static const char *const contacts[] = {	/* 1 */
	"Anniversary", "AssistantName", "AssistantPhoneNumber", "Birthday", "Body",
	"BodySize", "BodyTruncated", "Business2PhoneNumber", "BusinessAddressCity",
	"BusinessAddressCountry", "BusinessAddressPostalCode", "BusinessAddressState",
	"BusinessAddressStreet", "BusinessFaxNumber", "BusinessPhoneNumber",
	"CarPhoneNumber", "Categories", "Category", "Children", "Child", "CompanyName",
	"Department", "Email1Address", "Email2Address", "Email3Address", "FileAs",
	"FirstName", "Home2PhoneNumber", "HomeAddressCity", "HomeAddressCountry",
	"HomeAddressPostalCode", "HomeAddressState", "HomeAddressStreet", "HomeFaxNumber",
	"HomePhoneNumber", "JobTitle", "LastName", "MiddleName", "MobilePhoneNumber",
	"OfficeLocation", "OtherAddressCity", "OtherAddressCountry",
	"OtherAddressPostalCode", "OtherAddressState", "OtherAddressStreet", "PagerNumber",
	"RadioPhoneNumber", "Spouse", "Suffix", "Title", "WebPage", "YomiCompanyName",
	"YomiFirstName", "YomiLastName", "CompressedRTF", "Picture", "Alias",
	"WeightedRank", NULL
};
static const char *const email[] = {	/* 2 */
	"Attachment", "Attachments", "AttName", "AttSize", "Att0Id", "AttMethod",
	"AttRemoved", "Body", "BodySize", "BodyTruncated", "DateReceived", "DisplayName",
	"DisplayTo", "Importance", "MessageClass", "Subject", "Read", "To", "Cc", "From",
	"ReplyTo", "AllDayEvent", "Categories", "Category", "DtStamp", "EndTime",
	"InstanceType", "BusyStatus", "Location", "MeetingRequest", "Organizer",
	"RecurrenceId", "Reminder", "ResponseRequested", "Recurrences", "Recurrence",
	"Recurrence_Type", "Recurrence_Until", "Recurrence_Occurrences",
	"Recurrence_Interval", "Recurrence_DayOfWeek", "Recurrence_DayOfMonth",
	"Recurrence_WeekOfMonth", "Recurrence_MonthOfYear", "StartTime", "Sensitivity",
	"TimeZone", "GlobalObjId", "ThreadTopic", "MIMEData", "MIMETruncated", "MIMESize",
	"InternetCPID", "Flag", "Status", "ContentClass", "FlagType", "CompleteTime",
	"DisallowNewTimeProposal", NULL
};
static const char *const airnotify[] = {	/* 3, withdrawn after 2.5 */
	"Notify", "Notification", "Version", "LifeTime", "DeviceInfo", "Enable", "Folder",
	"ServerId", "DeviceAddress", "ValidCarrierProfiles", "CarrierProfile", "Status",
	"Responses", "Devices", "Device", "Id", "Expiry", "NotifyGUID",
	"DeviceFriendlyName", NULL
};
static const char *const calendar[] = {	/* 4 */
	"TimeZone", "AllDayEvent", "Attendees", "Attendee", "Email", "Name", "Body",
	"BodyTruncated", "BusyStatus", "Categories", "Category", "CompressedRTF", "DtStamp",
	"EndTime", "Exception", "Exceptions", "Deleted", "ExceptionStartTime", "Location",
	"MeetingStatus", "OrganizerEmail", "OrganizerName", "Recurrence", "Type", "Until",
	"Occurrences", "Interval", "DayOfWeek", "DayOfMonth", "WeekOfMonth", "MonthOfYear",
	"Reminder", "Sensitivity", "Subject", "StartTime", "UID", "AttendeeStatus",
	"AttendeeType", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	"DisallowNewTimeProposal", "ResponseRequested", "AppointmentReplyTime",
	"ResponseType", "CalendarType", "IsLeapMonth", "FirstDayOfWeek",
	"OnlineMeetingConfLink", "OnlineMeetingExternalLink", "ClientUid", NULL
};
static const char *const move[] = {	/* 5 */
	"MoveItems", "Move", "SrcMsgId", "SrcFldId", "DstFldId", "Response", "Status",
	"DstMsgId", NULL
};
static const char *const itemestimate[] = {	/* 6 */
	"GetItemEstimate", "Version", "Collections", "Collection", "Class", "CollectionId",
	"DateTime", "Estimate", "Response", "Status", NULL
};
static const char *const folderhierarchy[] = {	/* 7 */
	"Folders", "Folder", "DisplayName", "ServerId", "ParentId", "Type", "Response",
	"Status", "ContentClass", "Changes", "Add", "Delete", "Update", "SyncKey",
	"FolderCreate", "FolderDelete", "FolderUpdate", "FolderSync", "Count", "Version",
	NULL
};
static const char *const meetingresponse[] = {	/* 8 */
	"CalendarId", "CollectionId", "MeetingResponse", "RequestId", "Request", "Result",
	"Status", "UserResponse", "Version", "InstanceId", NULL, "ProposedStartTime",
	"ProposedEndTime", "SendResponse", NULL
};
static const char *const tasks[] = {	/* 9 */
	"Body", "BodySize", "BodyTruncated", "Categories", "Category", "Complete",
	"DateCompleted", "DueDate", "UtcDueDate", "Importance", "Recurrence", "Type",
	"Start", "Until", "Occurrences", "Interval", "DayOfMonth", "DayOfWeek",
	"WeekOfMonth", "MonthOfYear", "Regenerate", "DeadOccur", "ReminderSet",
	"ReminderTime", "Sensitivity", "StartDate", "UtcStartDate", "Subject",
	"CompressedRTF", "OrdinalDate", "SubOrdinalDate", "CalendarType", "IsLeapMonth",
	"FirstDayOfWeek", NULL
};
static const char *const resolverecipients[] = {	/* 10 */
	"ResolveRecipients", "Response", "Status", "Type", "Recipient", "DisplayName",
	"EmailAddress", "Certificates", "Certificate", "MiniCertificate", "Options", "To",
	"CertificateRetrieval", "RecipientCount", "MaxCertificates",
	"MaxAmbiguousRecipients", "CertificateCount", "Availability", "StartTime",
	"EndTime", "MergedFreeBusy", "Picture", "MaxSize", "Data", "MaxPictures", NULL
};
static const char *const validatecert[] = {	/* 11 */
	"ValidateCert", "Certificates", "Certificate", "CertificateChain", "CheckCRL",
	"Status", NULL
};
static const char *const contacts2[] = {	/* 12 */
	"CustomerId", "GovernmentId", "IMAddress", "IMAddress2", "IMAddress3",
	"ManagerName", "CompanyMainPhone", "AccountName", "NickName", "MMS", NULL
};
static const char *const ping[] = {	/* 13 */
	"Ping", "AutdState", "Status", "HeartbeatInterval", "Folders", "Folder", "Id",
	"Class", "MaxFolders", NULL
};
static const char *const provision[] = {	/* 14 */
	"Provision", "Policies", "Policy", "PolicyType", "PolicyKey", "Data", "Status",
	"RemoteWipe", "EASProvisionDoc", "DevicePasswordEnabled",
	"AlphanumericDevicePasswordRequired", "RequireStorageCardEncryption",
	"PasswordRecoveryEnabled", NULL, "AttachmentsEnabled", "MinDevicePasswordLength",
	"MaxInactivityTimeDeviceLock", "MaxDevicePasswordFailedAttempts",
	"MaxAttachmentSize", "AllowSimpleDevicePassword", "DevicePasswordExpiration",
	"DevicePasswordHistory", "AllowStorageCard", "AllowCamera",
	"RequireDeviceEncryption", "AllowUnsignedApplications",
	"AllowUnsignedInstallationPackages", "MinDevicePasswordComplexCharacters",
	"AllowWiFi", "AllowTextMessaging", "AllowPOPIMAPEmail", "AllowBluetooth",
	"AllowIrDA", "RequireManualSyncWhenRoaming", "AllowDesktopSync",
	"MaxCalendarAgeFilter", "AllowHTMLEmail", "MaxEmailAgeFilter",
	"MaxEmailBodyTruncationSize", "MaxEmailHTMLBodyTruncationSize",
	"RequireSignedSMIMEMessages", "RequireEncryptedSMIMEMessages",
	"RequireSignedSMIMEAlgorithm", "RequireEncryptionSMIMEAlgorithm",
	"AllowSMIMEEncryptionAlgorithmNegotiation", "AllowSMIMESoftCerts", "AllowBrowser",
	"AllowConsumerEmail", "AllowRemoteDesktop", "AllowInternetSharing",
	"UnapprovedInROMApplicationList", "ApplicationName", "ApprovedApplicationList",
	"Hash", "AccountOnlyRemoteWipe", NULL
};
static const char *const search[] = {	/* 15 */
	"Search", NULL, "Store", "Name", "Query", "Options", "Range", "Status", "Response",
	"Result", "Properties", "Total", "EqualTo", "Value", "And", "Or", "FreeText", NULL,
	"DeepTraversal", "LongId", "RebuildResults", "LessThan", "GreaterThan", NULL, NULL,
	"UserName", "Password", "ConversationId", "Picture", "MaxSize", "MaxPictures", NULL
};
static const char *const gal[] = {	/* 16 */
	"DisplayName", "Phone", "Office", "Title", "Company", "Alias", "FirstName",
	"LastName", "HomePhone", "MobilePhone", "EmailAddress", "Picture", "Status", "Data",
	NULL
};
static const char *const airsyncbase[] = {	/* 17 */
	"BodyPreference", "Type", "TruncationSize", "AllOrNone", NULL, "Body", "Data",
	"EstimatedDataSize", "Truncated", "Attachments", "Attachment", "DisplayName",
	"FileReference", "Method", "ContentId", "ContentLocation", "IsInline",
	"NativeBodyType", "ContentType", "Preview", "BodyPartPreference", "BodyPart",
	"Status", "Add", "Delete", "ClientId", "Content", "Location", "Annotation",
	"Street", "City", "State", "Country", "PostalCode", "Latitude", "Longitude",
	"Accuracy", "Altitude", "AltitudeAccuracy", "LocationUri", "InstanceId", NULL
};
static const char *const settings[] = {	/* 18 */
	"Settings", "Status", "Get", "Set", "Oof", "OofState", "StartTime", "EndTime",
	"OofMessage", "AppliesToInternal", "AppliesToExternalKnown",
	"AppliesToExternalUnknown", "Enabled", "ReplyMessage", "BodyType",
	"DevicePassword", "Password", "DeviceInformation", "Model", "IMEI",
	"FriendlyName", "OS", "OSLanguage", "PhoneNumber", "UserInformation",
	"EmailAddresses", "SMTPAddress", "UserAgent", "EnableOutboundSMS",
	"MobileOperator", "PrimarySmtpAddress", "Accounts", "Account", "AccountId",
	"AccountName", "UserDisplayName", "SendDisabled", NULL,
	"RightsManagementInformation", NULL
};
static const char *const documentlibrary[] = {	/* 19 */
	"LinkId", "DisplayName", "IsFolder", "CreationDate", "LastModifiedDate",
	"IsHidden", "ContentLength", "ContentType", NULL
};
static const char *const itemoperations[] = {	/* 20 */
	"ItemOperations", "Fetch", "Store", "Options", "Range", "Total", "Properties",
	"Data", "Status", "Response", "Version", "Schema", "Part", "EmptyFolderContents",
	"DeleteSubFolders", "UserName", "Password", "Move", "DstFldId", "ConversationId",
	"MoveAlways", NULL
};
static const char *const composemail[] = {	/* 21 */
	"SendMail", "SmartForward", "SmartReply", "SaveInSentItems", "ReplaceMime", NULL,
	"Source", "FolderId", "ItemId", "LongId", "InstanceId", "Mime", "ClientId",
	"Status", "AccountId", NULL, "Forwardees", "Forwardee", "ForwardeeName",
	"ForwardeeEmail", NULL
};
static const char *const email2[] = {	/* 22 */
	"UmCallerID", "UmUserNotes", "UmAttDuration", "UmAttOrder", "ConversationId",
	"ConversationIndex", "LastVerbExecuted", "LastVerbExecutionTime", "ReceivedAsBcc",
	"Sender", "CalendarType", "IsLeapMonth", "AccountId", "FirstDayOfWeek",
	"MeetingMessageType", NULL, "IsDraft", "Bcc", "Send", NULL
};
static const char *const notes[] = {	/* 23 */
	"Subject", "MessageClass", "LastModifiedDate", "Categories", "Category", NULL
};
static const char *const rightsmanagement[] = {	/* 24 */
	"RightsManagementSupport", "RightsManagementTemplates",
	"RightsManagementTemplate", "RightsManagementLicense", "EditAllowed",
	"ReplyAllowed", "ReplyAllAllowed", "ForwardAllowed", "ModifyRecipientsAllowed",
	"ExtractAllowed", "PrintAllowed", "ExportAllowed", "ProgrammaticAccessAllowed",
	"Owner", "ContentExpiryDate", "TemplateID", "TemplateName", "TemplateDescription",
	"ContentOwner", "RemoveRightsManagementDistribution", NULL
};
static const char *const find[] = {	/* 25 */
	"Find", "SearchId", "ExecuteSearch", "MailBoxSearchCriterion", "Query", "Status",
	"FreeText", "Options", "Range", "DeepTraversal", NULL, NULL, "Response", "Result",
	"Properties", "Preview", "HasAttachments", "Total", "DisplayCc", "DisplayBcc",
	"GalSearchCriterion", NULL
};

struct page {
	const char *name;
	const char *const *tags;
	size_t ntags;
};

#define PAGE(n, t) { n, t, sizeof(t) / sizeof(t[0]) - 1 }
static const struct page pages[WBXML_PAGES] = {
	PAGE("AirSync", airsync), PAGE("Contacts", contacts), PAGE("Email", email),
	PAGE("AirNotify", airnotify), PAGE("Calendar", calendar), PAGE("Move", move),
	PAGE("GetItemEstimate", itemestimate), PAGE("FolderHierarchy", folderhierarchy),
	PAGE("MeetingResponse", meetingresponse), PAGE("Tasks", tasks),
	PAGE("ResolveRecipients", resolverecipients), PAGE("ValidateCert", validatecert),
	PAGE("Contacts2", contacts2), PAGE("Ping", ping), PAGE("Provision", provision),
	PAGE("Search", search), PAGE("GAL", gal), PAGE("AirSyncBase", airsyncbase),
	PAGE("Settings", settings), PAGE("DocumentLibrary", documentlibrary),
	PAGE("ItemOperations", itemoperations), PAGE("ComposeMail", composemail),
	PAGE("Email2", email2), PAGE("Notes", notes),
	PAGE("RightsManagement", rightsmanagement), PAGE("Find", find),
};

const char *wbxml_tag_name(unsigned page, unsigned tag)
{
	if (page >= WBXML_PAGES || tag < FIRST || tag > LAST)
		return NULL;
	if (tag - FIRST >= pages[page].ntags)
		return NULL;
	return pages[page].tags[tag - FIRST];
}

int wbxml_tag_token(unsigned page, const char *name)
{
	if (page >= WBXML_PAGES)
		return -1;
	for (size_t i = 0; i < pages[page].ntags; i++)
		if (pages[page].tags[i] && strcmp(pages[page].tags[i], name) == 0)
			return (int)(i + FIRST);
	return -1;
}

const char *wbxml_page_name(unsigned page)
{
	return page < WBXML_PAGES ? pages[page].name : NULL;
}

int wbxml_page_by_name(const char *ns, size_t len)
{
	if (len > 0 && ns[len - 1] == ':')
		len--;
	for (int i = 0; i < WBXML_PAGES; i++)
		if (strlen(pages[i].name) == len && strncasecmp(pages[i].name, ns, len) == 0)
			return i;
	return -1;
}
