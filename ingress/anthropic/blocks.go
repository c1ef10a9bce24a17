package anthropic

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// inBlock is any request content block; which fields are set depends on
// Type. Fields of block types the gateway refuses are not modelled.
type inBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	Source    *inSource       `json:"source"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
}

// inSource is an image source: {"type":"base64","media_type","data"} or
// {"type":"url","url"}.
type inSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
	URL       string `json:"url"`
}

// Block types the gateway understands.
const (
	blockText             = "text"
	blockImage            = "image"
	blockToolUse          = "tool_use"
	blockToolResult       = "tool_result"
	blockThinking         = "thinking"
	blockRedactedThinking = "redacted_thinking"
)

// content is a decoded "content" (or "system") field: a string, or blocks.
type content struct {
	isString bool
	text     string
	blocks   []inBlock
}

// parseContent decodes a field that is a string or an array of blocks.
// Blocks are decoded one by one so an error can name the block. An absent
// or null field is reported as required.
func parseContent(path string, raw json.RawMessage) (content, *BadRequest) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return content{}, &BadRequest{Param: path, Message: path + ": Field required"}
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return content{}, jsonError(path, err)
		}
		return content{isString: true, text: s}, nil
	case raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return content{}, jsonError(path, err)
		}
		c := content{blocks: make([]inBlock, len(items))}
		for i, item := range items {
			if br := decodeBlock(index(path, i), item, &c.blocks[i]); br != nil {
				return content{}, br
			}
		}
		return c, nil
	default:
		return content{}, &BadRequest{Param: path, Message: path + ": must be a string or an array of content blocks"}
	}
}

// modelled are the block types whose fields inBlock describes.
var modelled = map[string]bool{blockText: true, blockImage: true, blockToolUse: true, blockToolResult: true}

// decodeBlock reads the type first and the other fields only for modelled
// types: other block types reuse field names with other shapes (a
// search_result's "source" is a string), and must be refused by type, not
// by a confusing field error.
func decodeBlock(path string, raw json.RawMessage, b *inBlock) *BadRequest {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return jsonError(path, err)
	}
	if !modelled[head.Type] {
		b.Type = head.Type
		return nil
	}
	if err := json.Unmarshal(raw, b); err != nil {
		return jsonError(path, err)
	}
	return nil
}

// index appends an array index to a path the way Anthropic writes it
// ("messages.2").
func index(path string, i int) string { return path + "." + strconv.Itoa(i) }

// unsupportedBlock refuses a block type the internal model cannot carry.
func unsupportedBlock(path, typ, allowed string) *BadRequest {
	p := path + ".type"
	return &BadRequest{Param: p, Message: p + ": content block type " + strconv.Quote(typ) + " is not supported here; use " + allowed}
}
