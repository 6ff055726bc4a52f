#!/usr/bin/env python3
"""Builds the small documents the owa-cas tests open with WebReady: a
DOCX, an XLSX, a PPTX, an ODT (zip containers with the XML parts
WebReady reads) and a one-page PDF, each holding a known sentence.
Usage: mkdocs.py DIR"""
import os
import sys
import zipfile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'


def zipdoc(name, parts):
    with zipfile.ZipFile(os.path.join(out, name), 'w', zipfile.ZIP_DEFLATED) as z:
        for path, text in parts.items():
            z.writestr(path, text)


zipdoc('report.docx', {
    '[Content_Types].xml': '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
    'word/document.xml': f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>'
    '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Annual report</w:t></w:r></w:p>'
    '<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Revenue grew</w:t></w:r><w:r><w:t> by twelve percent.</w:t></w:r></w:p>'
    '<w:p><w:r><w:t>&lt;script&gt;alert(1)&lt;/script&gt;</w:t></w:r></w:p>'
    '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>North</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>42</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
    '</w:body></w:document>',
})
zipdoc('figures.xlsx', {
    'xl/sharedStrings.xml': '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<si><t>Region</t></si><si><t>Sales</t></si></sst>',
    'xl/worksheets/sheet1.xml': '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row><c t="inlineStr"><is><t>East</t></is></c><c><v>1234</v></c></row></sheetData></worksheet>',
})
zipdoc('deck.pptx', {
    'ppt/slides/slide1.xml': '<?xml version="1.0"?><p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>'
    '<a:p><a:r><a:t>Roadmap slide</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>',
})
zipdoc('notes.odt', {
    'mimetype': 'application/vnd.oasis.opendocument.text',
    'content.xml': '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
    '<text:h>Meeting notes</text:h><text:p>Open document text here.</text:p></office:text></office:body></office:document-content>',
})

content = b'BT /F1 24 Tf 72 700 Td (Quarterly minutes approved) Tj ET'
objs = [
    b'<< /Type /Catalog /Pages 2 0 R >>',
    b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R '
    b'/Resources << /Font << /F1 5 0 R >> >> >>',
    b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream',
    b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
]
pdf = bytearray(b'%PDF-1.4\n')
offsets = []
for i, o in enumerate(objs, 1):
    offsets.append(len(pdf))
    pdf += b'%d 0 obj\n' % i + o + b'\nendobj\n'
xref = len(pdf)
pdf += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
for off in offsets:
    pdf += b'%010d 00000 n \n' % off
pdf += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, xref)
with open(os.path.join(out, 'minutes.pdf'), 'wb') as f:
    f.write(pdf)

# With a second argument (the URL of a remote image), two messages too:
# an HTML one whose image is remote, and one with the documents attached
# (and a program that the policy blocks).
if len(sys.argv) > 2:
    from email.message import EmailMessage
    m = EmailMessage()
    m['From'] = 'Newsletter <news@sender.example>'
    m['To'] = 'carol@example.test'
    m['Subject'] = 'Remote picture'
    m['Date'] = 'Tue, 24 Nov 2026 07:00:00 +0000'
    m['Message-ID'] = '<remote-1@sender.example>'
    m.set_content('text version')
    m.add_alternative('<html><body><p onclick="alert(1)">Look at <b>this</b>:</p>'
                      f'<img src="{sys.argv[2]}" alt="pixel"><script>alert(2)</script>'
                      '<p><a href="https://www.example.org/page?x=1">a link</a></p></body></html>',
                      subtype='html')
    with open(os.path.join(out, 'remote.eml'), 'wb') as f:
        f.write(bytes(m))
    d = EmailMessage()
    d['From'] = 'Erin <erin@example.test>'
    d['To'] = 'carol@example.test'
    d['Subject'] = 'Documents'
    d['Date'] = 'Tue, 24 Nov 2026 06:00:00 +0000'
    d['Message-ID'] = '<docs-1@example.test>'
    d.set_content('The documents are attached.\n')
    for name, mt in (('report.docx', ('application', 'vnd.openxmlformats-officedocument.wordprocessingml.document')),
                     ('minutes.pdf', ('application', 'pdf')),
                     ('notes.odt', ('application', 'vnd.oasis.opendocument.text')),
                     ('figures.xlsx', ('application', 'vnd.openxmlformats-officedocument.spreadsheetml.sheet')),
                     ('deck.pptx', ('application', 'vnd.openxmlformats-officedocument.presentationml.presentation'))):
        with open(os.path.join(out, name), 'rb') as f:
            d.add_attachment(f.read(), maintype=mt[0], subtype=mt[1], filename=name)
    d.add_attachment(b'MZ\x90\x00fake program', maintype='application', subtype='x-msdownload',
                     filename='tool.exe')
    with open(os.path.join(out, 'docs.eml'), 'wb') as f:
        f.write(bytes(d))
    # An HTML message with an inline image (multipart/related, cid:).
    import struct, zlib

    def chunk(t, data):
        c = struct.pack('>I', len(data)) + t + data
        return c + struct.pack('>I', zlib.crc32(t + data) & 0xffffffff)
    png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 2, 2, 8, 2, 0, 0, 0)) +
           chunk(b'IDAT', zlib.compress(b'\x00\xff\x00\x00\x00\xff\x00' * 2)) + chunk(b'IEND', b''))
    with open(os.path.join(out, 'logo.png'), 'wb') as f:
        f.write(png)
    i = EmailMessage()
    i['From'] = 'Design <design@example.test>'
    i['To'] = 'carol@example.test'
    i['Subject'] = 'Inline picture'
    i['Date'] = 'Tue, 24 Nov 2026 05:00:00 +0000'
    i.set_content('<p>Our logo: <img id="logo" src="cid:logo@example.test" alt="logo"></p>', subtype='html')
    i.add_related(png, maintype='image', subtype='png', cid='<logo@example.test>')
    with open(os.path.join(out, 'inline.eml'), 'wb') as f:
        f.write(bytes(i))
