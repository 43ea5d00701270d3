//! Reading the file by windows of range reads: the cross-reference data
//! (tables and streams, following `/Prev`), an object at its offset, and the
//! members of object streams (a few containers cached).

use super::*;

impl<S: ByteSource> Source<S> {
    /// Bytes `[offset, offset + len)` from the header, clipped to the file.
    pub(crate) async fn slice(&mut self, offset: usize, len: u64) -> Result<&[u8], LoadError> {
        self.bytes
            .slice(self.base + offset as u64, len)
            .await
            .map_err(|e| LoadError::Read(e.0))
    }

    /// Parses with `parse` over a window from `offset`, grown while what it
    /// parses does not end at least `margin` bytes before the window's end
    /// (unless the window reaches the end of the file). `None`: `parse`
    /// found nothing there.
    pub(crate) async fn windowed<T>(
        &mut self,
        offset: usize,
        margin: usize,
        parse: impl Fn(&[u8]) -> Option<(T, usize)>,
    ) -> Result<Option<T>, LoadError> {
        let len = self.len;
        let mut size = FIRST_WINDOW;
        loop {
            let window = self.slice(offset, size).await?;
            let whole = offset as u64 + window.len() as u64 >= len;
            match parse(window) {
                Some((value, used)) if whole || used + margin <= window.len() => {
                    return Ok(Some(value));
                }
                _ if whole || size >= MAX_WINDOW => return Ok(None),
                _ => size *= 4,
            }
        }
    }

    /// Reads the cross-reference sections, newest first, through `/Prev`
    /// and `/XRefStm`.
    pub(crate) async fn open(&mut self) -> Result<(), LoadError> {
        let mut next = Some(self.startxref().await?);
        let mut visited = HashSet::new();
        let mut newest = true;
        while let Some(offset) = next.take() {
            if !visited.insert(offset) || visited.len() > MAX_SECTIONS {
                return Err(LoadError::Xref(offset));
            }
            let (entries, trailer) = self.section(offset).await?;
            for (number, entry) in entries {
                self.xref.entry(number).or_insert(entry);
            }
            next = match trailer.get(b"Prev") {
                Ok(Object::Integer(prev)) => {
                    Some(usize::try_from(*prev).map_err(|_| LoadError::Xref(offset))?)
                }
                _ => None,
            };
            if newest {
                self.trailer = trailer;
                self.trailer.remove(b"Prev");
                newest = false;
            }
        }
        Ok(())
    }

    /// The offset after the last `startxref`.
    pub(crate) async fn startxref(&mut self) -> Result<usize, LoadError> {
        let tail = self.len.saturating_sub(4096) as usize;
        let data = self.slice(tail, 4096).await?;
        let at = data
            .windows(9)
            .rposition(|w| w == b"startxref")
            .ok_or(LoadError::NoStartXref)?;
        let mut lexer = Lexer::at(data, at + 9);
        lexer.skip_space();
        integer(lexer.regular_token())
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(LoadError::NoStartXref)
    }

    /// One cross-reference section (a table, with its `/XRefStm` for a
    /// hybrid file, or a stream) and its trailer.
    pub(crate) async fn section(
        &mut self,
        offset: usize,
    ) -> Result<(Vec<(u32, Entry)>, Dictionary), LoadError> {
        let head = self.slice(offset, 64).await?;
        let mut lexer = Lexer::at(head, 0);
        lexer.skip_space();
        if lexer.peek(0).is_some_and(|b| b.is_ascii_digit()) {
            return Box::pin(self.xref_stream(offset)).await;
        }
        let bad = LoadError::Xref(offset);
        let len = self.len as usize;
        let Some((mut entries, trailer)) = self.windowed(offset, 0, |w| table(w, len)).await?
        else {
            return Err(bad);
        };
        if let Ok(Object::Integer(stm)) = trailer.get(b"XRefStm") {
            // A hybrid file: the stream lists the objects the table marks free.
            let stm = usize::try_from(*stm).map_err(|_| bad.clone())?;
            let (streamed, _) = Box::pin(self.xref_stream(stm)).await?;
            let streamed: HashMap<u32, Entry> = streamed.into_iter().collect();
            for (number, entry) in &mut entries {
                if *entry == Entry::Free
                    && let Some(&other) = streamed.get(number)
                {
                    *entry = other;
                }
            }
            let listed: HashSet<u32> = entries.iter().map(|(n, _)| *n).collect();
            entries.extend(streamed.into_iter().filter(|(n, _)| !listed.contains(n)));
        }
        Ok((entries, trailer))
    }

    /// A cross-reference stream at `offset`: its entries and dictionary.
    pub(crate) async fn xref_stream(
        &mut self,
        offset: usize,
    ) -> Result<(Vec<(u32, Entry)>, Dictionary), LoadError> {
        let bad = LoadError::Xref(offset);
        let Some((_, Object::Stream(stream))) =
            Box::pin(self.parse_at(offset, None, Read::Everything)).await?
        else {
            return Err(bad);
        };
        let data = crate::analysis::inflate::decode_data(&stream, self.max_stream_bytes)
            .ok_or(bad.clone())?;
        let dict = stream.dict;
        let widths: Vec<usize> = match dict.get(b"W") {
            Ok(Object::Array(w)) if w.len() == 3 => w
                .iter()
                .map(|o| o.as_i64().ok().and_then(|n| usize::try_from(n).ok()))
                .collect::<Option<_>>()
                .ok_or(bad.clone())?,
            _ => return Err(bad),
        };
        if widths.iter().any(|&w| w > 8) || widths.iter().sum::<usize>() == 0 {
            return Err(bad);
        }
        let row = widths.iter().sum::<usize>();
        let size = dict.get(b"Size").and_then(Object::as_i64).unwrap_or(0);
        let index: Vec<i64> = match dict.get(b"Index") {
            Ok(Object::Array(items)) => items
                .iter()
                .map(|o| o.as_i64().ok())
                .collect::<Option<_>>()
                .ok_or(bad.clone())?,
            _ => vec![0, size],
        };
        let field = |bytes: &[u8]| bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let mut rows = data.chunks_exact(row);
        let mut entries = Vec::new();
        for pair in index.chunks(2) {
            let [first, count] = *pair else {
                return Err(bad);
            };
            let (Ok(first), Ok(count)) = (u32::try_from(first), u32::try_from(count)) else {
                return Err(bad);
            };
            for i in 0..count {
                let Some(bytes) = rows.next() else {
                    return Err(bad);
                };
                let (a, rest) = bytes.split_at(widths[0]);
                let (b, c) = rest.split_at(widths[1]);
                let kind = if widths[0] == 0 { 1 } else { field(a) };
                let (b, c) = (field(b), field(c));
                let entry = match kind {
                    1 if b > 0 => Entry::Normal(usize::try_from(b).map_err(|_| bad.clone())?),
                    2 => Entry::Compressed {
                        container: u32::try_from(b).map_err(|_| bad.clone())?,
                        index: usize::try_from(c).map_err(|_| bad.clone())?,
                    },
                    _ => Entry::Free,
                };
                entries.push((first.checked_add(i).ok_or(bad.clone())?, entry));
            }
        }
        Ok((entries, dict))
    }

    /// Object `number`: its id and value, `None` for a free or missing one.
    pub(crate) async fn object(
        &mut self,
        number: u32,
        read: Read,
    ) -> Result<Option<(ObjectId, Object)>, LoadError> {
        match self.xref.get(&number).copied() {
            None if self.recovered => Err(LoadError::Missing(number)),
            None | Some(Entry::Free) => Ok(None),
            Some(Entry::Normal(offset)) => self.parse_at(offset, Some(number), read).await,
            Some(Entry::Compressed { container, index }) => {
                Box::pin(self.member(container, index, number))
                    .await
                    .map(|o| Some(((number, 0), o)))
            }
        }
    }

    /// The indirect object at `offset` (`N G obj … endobj`), checked to be
    /// object `expect` when given.
    pub(crate) async fn parse_at(
        &mut self,
        offset: usize,
        expect: Option<u32>,
        read: Read,
    ) -> Result<Option<(ObjectId, Object)>, LoadError> {
        let bad = LoadError::Object(expect.unwrap_or(0));
        let parsed = self
            .windowed(offset, 32, |w| {
                let mut lexer = Lexer::at(w, 0);
                lexer.skip_space();
                let number = integer(lexer.regular_token()).and_then(|n| u32::try_from(n).ok());
                lexer.skip_space();
                let generation = integer(lexer.regular_token()).and_then(|n| u16::try_from(n).ok());
                lexer.skip_space();
                let (Some(number), Some(generation), b"obj") =
                    (number, generation, lexer.regular_token())
                else {
                    return None;
                };
                let object = value(&mut lexer, 0)?;
                let used = lexer.position();
                // A dictionary may be a stream's: its data starts after the
                // end of line that follows `stream`.
                lexer.skip_space();
                let data = (matches!(object, Object::Dictionary(_))
                    && lexer.regular_token() == b"stream")
                    .then(|| {
                        let mut start = lexer.position();
                        if w.get(start) == Some(&b'\r') {
                            start += 1;
                        }
                        if w.get(start) == Some(&b'\n') {
                            start += 1;
                        }
                        start
                    });
                Some(((number, generation, object, data), used))
            })
            .await?;
        let Some((number, generation, object, data)) = parsed else {
            return Err(bad);
        };
        if expect.is_some_and(|e| e != number) {
            return Err(bad);
        }
        let Object::Dictionary(dict) = object else {
            return Ok(Some(((number, generation), object)));
        };
        let (Some(data), Read::Everything) = (data, read) else {
            return Ok(Some(((number, generation), Object::Dictionary(dict))));
        };
        let start = offset + data;
        let end = self.stream_end(&dict, start).await?.ok_or(bad)?;
        let len = (end - start) as u64;
        let content = if data_unread(&dict) {
            Vec::new()
        } else if len > MAX_READ_AHEAD {
            // A large stream is read once, not into the blocks as well.
            self.bytes
                .read_direct(self.base + start as u64, len)
                .await
                .map_err(|e| LoadError::Read(e.0))?
        } else {
            self.slice(start, len).await?.to_vec()
        };
        let stream = Stream {
            dict,
            content,
            allows_compression: true,
            start_position: Some(start),
        };
        Ok(Some(((number, generation), Object::Stream(stream))))
    }

    /// Where a stream's data ends: after `/Length` bytes when `endstream`
    /// follows there, else just before the next `endstream`.
    pub(crate) async fn stream_end(
        &mut self,
        dict: &Dictionary,
        start: usize,
    ) -> Result<Option<usize>, LoadError> {
        let length = match dict.get(b"Length") {
            Ok(Object::Integer(n)) => Some(*n),
            Ok(Object::Reference(id)) => match Box::pin(self.object(id.0, Read::ValueOnly)).await {
                Ok(Some((_, Object::Integer(n)))) => Some(n),
                Err(LoadError::Read(e)) => return Err(LoadError::Read(e)),
                _ => None,
            },
            _ => None,
        };
        if let Some(end) = length
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| start.checked_add(n))
            .filter(|&end| end as u64 <= self.len)
        {
            let after = self.slice(end, 256).await?;
            let mut lexer = Lexer::at(after, 0);
            lexer.skip_space();
            if after[lexer.position()..].starts_with(b"endstream") {
                return Ok(Some(end));
            }
        }
        // Look for the next `endstream`, a read at a time.
        let mut at = start;
        let found = loop {
            let chunk = self.slice(at, SCAN).await?;
            if let Some(p) = find(chunk, b"endstream", 0) {
                break at + p;
            }
            if (chunk.len() as u64) < SCAN {
                return Ok(None);
            }
            at += chunk.len() - 8;
        };
        let from = found.saturating_sub(2);
        let before = self.slice(from, (found - from) as u64).await?;
        let mut end = found;
        let mut i = before.len();
        if end > start && i > 0 && before[i - 1] == b'\n' {
            end -= 1;
            i -= 1;
        }
        if end > start && i > 0 && before[i - 1] == b'\r' {
            end -= 1;
        }
        Ok(Some(end))
    }

    /// Member `index` (object `number`) of the object stream `container`.
    pub(crate) async fn member(
        &mut self,
        container: u32,
        index: usize,
        number: u32,
    ) -> Result<Object, LoadError> {
        if !self.containers.contains_key(&container) {
            if self.decoding > 2 {
                return Err(LoadError::ObjectStream(container));
            }
            self.decoding += 1;
            let decoded = self.container(container).await;
            self.decoding -= 1;
            let decoded = decoded?;
            // Bounded in count and in bytes (at most one stream's limit).
            let held: usize = self.containers.values().map(|c| c.data.len()).sum();
            if self.containers.len() >= MAX_CACHED_CONTAINERS
                || held + decoded.data.len() > self.max_stream_bytes
            {
                self.containers.clear();
            }
            self.containers.insert(container, decoded);
        }
        let bad = LoadError::ObjectStream(container);
        let held = self.containers.get(&container).ok_or(bad.clone())?;
        let offset = match held.members.get(index) {
            Some(&(n, offset)) if n == number => offset,
            _ => {
                held.members
                    .iter()
                    .find(|(n, _)| *n == number)
                    .ok_or(bad.clone())?
                    .1
            }
        };
        let mut lexer = Lexer::at(&held.data, offset);
        value(&mut lexer, 0).ok_or(bad)
    }

    /// Decodes the object stream `container` and reads its member table.
    pub(crate) async fn container(&mut self, container: u32) -> Result<Container, LoadError> {
        let bad = LoadError::ObjectStream(container);
        let Some(Entry::Normal(offset)) = self.xref.get(&container).copied() else {
            return Err(bad);
        };
        let Some((_, Object::Stream(stream))) =
            Box::pin(self.parse_at(offset, Some(container), Read::Everything)).await?
        else {
            return Err(bad);
        };
        let data = crate::analysis::inflate::decode_data(&stream, self.max_stream_bytes)
            .ok_or(bad.clone())?;
        let count = stream.dict.get(b"N").and_then(Object::as_i64);
        let first = stream.dict.get(b"First").and_then(Object::as_i64);
        let (Some(count), Some(first)) = (
            count.ok().and_then(|n| usize::try_from(n).ok()),
            first.ok().and_then(|n| usize::try_from(n).ok()),
        ) else {
            return Err(bad);
        };
        if first > data.len() || count > data.len() {
            return Err(bad);
        }
        let mut lexer = Lexer::at(&data[..first], 0);
        let mut members = Vec::with_capacity(count);
        for _ in 0..count {
            lexer.skip_space();
            let number = integer(lexer.regular_token()).and_then(|n| u32::try_from(n).ok());
            lexer.skip_space();
            let offset = integer(lexer.regular_token()).and_then(|n| usize::try_from(n).ok());
            match (number, offset.and_then(|o| o.checked_add(first))) {
                (Some(number), Some(at)) if at <= data.len() => members.push((number, at)),
                _ => return Err(bad),
            }
        }
        Ok(Container { data, members })
    }
}
