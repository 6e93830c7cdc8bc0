/// Accumulates the words of an expansion: unquoted whitespace (also inside
/// expanded variable values) separates words, quoted text never does.
#[derive(Default)]
pub(super) struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    pub fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }

    pub fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }

    pub fn add_string(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }

    pub fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }

    pub fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(std::mem::take(&mut self.word));
        }
        self.words
    }
}
