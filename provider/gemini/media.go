package gemini

import (
	"encoding/base64"
	"errors"
	"net/url"
	"path"
	"strings"
)

// imageMIMETypes maps file extensions to the MIME types Gemini documents
// for image and document input. URLs with other extensions are sent
// without a MIME type and Gemini infers it.
var imageMIMETypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".webp": "image/webp",
	".gif":  "image/gif",
	".heic": "image/heic",
	".heif": "image/heif",
	".pdf":  "application/pdf",
}

// imagePart maps an OpenAI image URL: data: URLs travel inline, http(s)
// URLs by reference.
func imagePart(raw string) (part, error) {
	if rest, ok := cutPrefixFold(raw, "data:"); ok {
		b, err := parseDataURL(rest)
		if err != nil {
			return part{}, err
		}
		return part{InlineData: b}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return part{}, errors.New("image_url must be an http(s) URL or a data: URL")
	}
	return part{FileData: &fileData{
		MimeType: imageMIMETypes[strings.ToLower(path.Ext(u.Path))],
		FileURI:  raw,
	}}, nil
}

// parseDataURL reads "<mediatype>[;params][;base64],<data>" (the part after
// "data:") into inline data, base64-encoding data that arrived
// percent-encoded.
func parseDataURL(rest string) (*blob, error) {
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, errors.New("malformed data: URL")
	}
	params := strings.Split(meta, ";")
	mimeType := strings.TrimSpace(params[0])
	if mimeType == "" {
		return nil, errors.New("data: URL must name a media type")
	}
	isBase64 := false
	for _, p := range params[1:] {
		if strings.EqualFold(strings.TrimSpace(p), "base64") {
			isBase64 = true
		}
	}
	if !isBase64 {
		decoded, err := url.PathUnescape(data)
		if err != nil {
			return nil, errors.New("malformed data: URL")
		}
		data = base64.StdEncoding.EncodeToString([]byte(decoded))
	}
	if data == "" {
		return nil, errors.New("data: URL carries no data")
	}
	return &blob{MimeType: strings.ToLower(mimeType), Data: data}, nil
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case, since URL schemes
// are case-insensitive.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
