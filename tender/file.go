package tender

// File is one file part of a tender, for what bidders and the committee do
// with it: e.File(id, 2) is File II of a two-file tender (or stage 2 of a
// two-stage tender), e.File(id, 1) File I, or the only file of a
// single-file or v1 tender. Submit, Commit, BeginUpload and OfferReceipt of
// Engine are File 1's. A File is a name: it holds no state and is valid
// for any tender id and part, which its methods check.
type File struct {
	e      *Engine
	tender string
	file   int
}

// File returns file part file of tender id.
func (e *Engine) File(id string, file int) File { return File{e: e, tender: id, file: file} }
